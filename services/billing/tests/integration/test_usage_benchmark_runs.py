"""The committed usage-writers benchmark keeps working as the ledger changes (a small size only:
the figures themselves come from `make bench`)."""

import subprocess
import sys


def test_the_usage_writers_benchmark_records_every_usage_through_rpc():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.usage_writers", "4", "5", "1"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "20 recorded of 20 (none lost)" in out.stdout, out.stdout
    assert "= ledger sum" in out.stdout and ": yes;" in out.stdout
    assert "bare UPDATE ... RETURNING on one row" in out.stdout
