"""The committed lists-at-scale benchmark keeps working as the lists, the API and the stack change
(a small size only: the figures themselves come from `make bench`). It starts a system of its own,
beside the one these tests share."""

import subprocess
import sys


def test_the_lists_benchmark_times_every_query_through_the_gateway():
    # the smallest sizes at which every search of the benchmark finds something
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.lists_at_scale", "200", "5000"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "GET /clients: search q=labs 12, p95" in out.stdout, out.stdout
    assert "GET /contacts: page=95, sort=name, by cursor, p95" in out.stdout, out.stdout
    assert "(in-process)" in out.stdout, out.stdout
