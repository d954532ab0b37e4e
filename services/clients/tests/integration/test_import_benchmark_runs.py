"""The committed import benchmark keeps working as the import code changes (a small size only:
the figures themselves come from `make bench`)."""

import subprocess
import sys


def test_the_import_benchmark_runs_through_the_real_import():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.import_contacts", "300"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert any(line.split()[:1] == ["300"] for line in out.stdout.splitlines()), out.stdout
