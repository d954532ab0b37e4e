"""The committed billing-run benchmark keeps working as the run code changes (a small size only:
the figures themselves come from `make bench`)."""

import subprocess
import sys


def test_the_billing_benchmark_runs_through_the_real_run():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.billing_run", "300"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "300 due assignments" in out.stdout, out.stdout
    assert "plain multi-row INSERT" in out.stdout and "of the plain insert" in out.stdout
