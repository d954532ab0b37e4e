"""Benchmark: importing a contacts CSV through the clients service's real import code.

    python -m benchmarks.import_contacts            # 10,000 rows, then 20,000 rows
    python -m benchmarks.import_contacts 50000      # any sizes

Target: 10,000 contacts in under 5 s, and memory that does not grow with the file beyond the
file's own text. Each size runs in a fresh child process against the `agency_clients_bench`
database (re-created and migrated first), in a fresh agency, through `importing.start_import`
and `importing.run_job` exactly as the service runs a background import (batched upserts, one
`contact_created` outbox event per contact, 50 clients created on the fly). Printed per size:
rows, seconds, rows/s, and the peak RSS growth of the child over its warmed-up baseline (taken
with the CSV text already in memory, as it is when the RPC call arrives), next to the size of the
CSV text itself.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import time
import uuid

TARGET_ROWS = 10_000
TARGET_SECONDS = 5.0
DEFAULT_SIZES = (10_000, 20_000)


def bench_url() -> str:
    from sqlalchemy.engine import make_url

    from kit.config import load_config

    url = make_url(load_config("clients")["DATABASE_URL"])
    return url.set(database=f"{url.database}_bench").render_as_string(hide_password=False)


def make_csv(rows: int) -> str:
    out = io.StringIO()
    out.write("\ufeffName,Email,Company,Title,Phone,Tags\r\n")
    for i in range(rows):
        out.write(
            f'"Person {i}, Jr.",person{i}@example{i % 97}.com,Client {i % 50},'
            f"Title {i % 13},+1 555 {i:07d},tag{i % 5}\r\n"
        )
    return out.getvalue()


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * (resource.getpagesize() // 1024)


def child(rows: int) -> dict:
    """Import `rows` contacts once; runs in its own process so peak RSS is this run's."""
    from sqlalchemy.orm import Session

    from clients import importing
    from kit.context import Context
    from kit.db import make_engine

    engine = make_engine(bench_url(), pool_size=1)
    permissions = frozenset({"create_clients", "view_clients"})

    def import_text(text: list[str]) -> tuple[dict, float]:
        """Import text[0]; the list lets the caller's reference go, as an RPC worker's does."""
        ctx = Context(agency_id=str(uuid.uuid4()), principal_id="bench", permissions=permissions)
        with Session(engine, expire_on_commit=False) as session:
            started = time.perf_counter()
            job = importing.start_import(session, ctx, None, "contacts", text.pop())
            session.commit()
            if job.status == "queued":
                importing.run_job(session, job.id, pause=lambda: None)
            elapsed = time.perf_counter() - started
            return importing.get_import(session, ctx, str(job.id)), elapsed

    import_text([make_csv(600)])  # warm up: imports, SQL compilation caches, connection
    # The upload itself arrives in memory (one RPC argument): the baseline includes it, so the
    # growth is what importing adds on top of holding the file.
    text = [make_csv(rows)]
    csv_kib = len(text[0].encode()) // 1024
    baseline = rss_kib()
    result, seconds = import_text(text)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    engine.dispose()
    assert result["status"] == "done" and result["created"] == rows, result
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "csv_kib": csv_kib,
        "peak_rss_growth_kib": max(peak - baseline, 0),
    }


def main(sizes: tuple[int, ...]) -> list[dict]:
    from kit.testing import fresh_database

    url = bench_url()
    fresh_database_for(url, fresh_database)
    results = []
    print(f"contacts CSV import into {url.rsplit('/', 1)[-1]} (target: 10,000 rows < 5 s)")
    print(f"{'rows':>8} {'seconds':>8} {'rows/s':>8} {'csv KiB':>8} {'peak RSS growth KiB':>20}")
    for rows in sizes:
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.import_contacts", "--child", str(rows)],
            check=True,
            capture_output=True,
            text=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{result['rows']:>8,} {result['seconds']:>8.2f} {result['rows_per_second']:>8,.0f} "
            f"{result['csv_kib']:>8,} {result['peak_rss_growth_kib']:>20,}"
        )
    target = next((r for r in results if r["rows"] == TARGET_ROWS), None)
    if target:
        verdict = "met" if target["seconds"] < TARGET_SECONDS else "MISSED"
        print(f"target {verdict}: {TARGET_ROWS:,} rows in {target['seconds']:.2f} s")
    return results


def fresh_database_for(url: str, fresh_database) -> None:
    """kit.testing.fresh_database names databases `_test`; point it at `_bench` instead."""
    import kit.testing

    original = kit.testing.test_database_url
    kit.testing.test_database_url = lambda package: url
    try:
        fresh_database("clients")
    finally:
        kit.testing.test_database_url = original


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]))))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or DEFAULT_SIZES)
