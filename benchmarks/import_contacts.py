"""Benchmark: importing a contacts CSV through the clients service's real import code.

    python -m benchmarks.import_contacts            # 10,000, 20,000 and 40,000 rows
    python -m benchmarks.import_contacts 100000     # any sizes

Target: 10,000 contacts in under 5 s, and memory flat in the file's size. Each size runs in a
fresh child process against the `agency_clients_bench` database (re-created and migrated first),
in a fresh agency, through the path the gateway uses: `create_import`, the file in 256 KiB
pieces (`append_import_chunk`, base64, one transaction each), `start_upload`, then `run_job`
exactly as the service runs a background import (batched upserts, one `contact_created` outbox
event per contact, 50 clients created on the fly). The CSV is written to a temporary file first
and read from it piece by piece, as the gateway reads an upload spooled to disk.

Printed per size: rows, seconds (upload + import), rows/s, the CSV's size, and the peak RSS
growth of the child over its warmed-up baseline: with memory flat in the file's size it stays
about the same from one size to the next instead of growing with the CSV.

Beside each import, its baseline: a plain PostgreSQL `COPY` of the same contacts (the rows the
import wrote, read back) into a table like `contacts` (same indexes and defaults, a temporary
one), in one transaction. The rows go to `benchmarks.report` (the `make bench` table).
"""

from __future__ import annotations

import base64
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid

TARGET_ROWS = 10_000
TARGET_SECONDS = 5.0
DEFAULT_SIZES = (10_000, 20_000, 40_000)
PIECE_BYTES = 256 * 1024  # what the gateway sends per append_import_chunk


def bench_url() -> str:
    """The database `main` migrated (with the run's TEST_RUN_TAG, as fresh_database names it)."""
    from kit.testing import database_url_for_tests

    return database_url_for_tests("clients", suffix="_bench")


def write_csv(path: str, rows: int) -> int:
    """Write a contacts CSV of `rows` rows (row by row: never whole in memory); its size."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write("\ufeffName,Email,Company,Title,Phone,Tags\r\n")
        for i in range(rows):
            out.write(
                f'"Person {i}, Jr.",person{i}@example{i % 97}.com,Client {i % 50},'
                f"Title {i % 13},+1 555 {i:07d},tag{i % 5}\r\n"
            )
    return os.path.getsize(path)


def peak_rss_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * (resource.getpagesize() // 1024)


def timed_copy(session, agency_id: str) -> float:
    """Seconds to COPY the agency's imported contacts into a fresh table like `contacts`."""
    from sqlalchemy import text

    columns = session.scalars(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'contacts' "
            "AND is_generated = 'NEVER' ORDER BY ordinal_position"
        )
    ).all()
    rows = session.execute(
        text(f"SELECT {', '.join(columns)} FROM contacts WHERE agency_id = :a"), {"a": agency_id}
    ).all()
    session.execute(
        text("CREATE TEMP TABLE bench_copy (LIKE contacts INCLUDING ALL) ON COMMIT DROP")
    )
    raw = session.connection().connection.driver_connection
    started = time.perf_counter()
    with (
        raw.cursor() as cursor,
        cursor.copy(f"COPY bench_copy ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(tuple(row))
    session.commit()
    return time.perf_counter() - started


def child(rows: int) -> dict:
    """Import `rows` contacts once; runs in its own process so peak RSS is this run's."""
    from sqlalchemy.orm import Session

    from clients.imports import jobs, running
    from kit.context import Context
    from kit.db import make_engine

    engine = make_engine(bench_url(), pool_size=1)
    permissions = frozenset({"create_clients", "view_clients"})

    def import_file(path: str) -> tuple[dict, float]:
        ctx = Context(agency_id=str(uuid.uuid4()), principal_id="bench", permissions=permissions)
        with Session(engine, expire_on_commit=False) as session, open(path, "rb") as upload:
            started = time.perf_counter()
            job_id = str(jobs.create_import(session, ctx, "contacts", "bench.csv").id)
            session.commit()
            seq = 0
            while piece := upload.read(PIECE_BYTES):
                data = base64.b64encode(piece).decode("ascii")
                jobs.append_import_chunk(session, ctx, job_id, seq, data)
                session.commit()
                seq += 1
            job = running.start_upload(session, ctx, None, None, job_id)
            session.commit()
            if job.status == "queued":
                running.run_job(session, job.id, pause=lambda: None)
            elapsed = time.perf_counter() - started
            answer = jobs.get_import(session, ctx, job_id)
            peak = peak_rss_kib()  # the import's own peak, before the COPY reads the rows back
            return answer, elapsed, peak, timed_copy(session, ctx.agency_id)

    with tempfile.TemporaryDirectory() as tmp:
        warm_up, path = os.path.join(tmp, "warm.csv"), os.path.join(tmp, "contacts.csv")
        write_csv(warm_up, 2_000)
        import_file(warm_up)  # imports, SQL compilation caches, the connection, two batches
        csv_bytes = write_csv(path, rows)
        baseline = max(rss_kib(), peak_rss_kib())
        result, seconds, peak, copy_seconds = import_file(path)
    engine.dispose()
    assert result["status"] == "done" and result["created"] == rows, result
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_second": rows / seconds,
        "copy_rows_per_second": rows / copy_seconds,
        "csv_kib": csv_bytes // 1024,
        "peak_rss_growth_kib": max(peak - baseline, 0),
    }


def main(sizes: tuple[int, ...]) -> list[dict]:
    from benchmarks import report
    from kit.testing import fresh_database

    load = os.getloadavg()
    url = fresh_database("clients", suffix="_bench")
    results = []
    print(f"contacts CSV import into {url.rsplit('/', 1)[-1]} (target: 10,000 rows < 5 s)")
    print(
        f"{'rows':>8} {'seconds':>8} {'rows/s':>8} {'COPY rows/s':>12} {'csv KiB':>8} "
        f"{'peak RSS growth KiB':>20}"
    )
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
            f"{result['copy_rows_per_second']:>12,.0f} "
            f"{result['csv_kib']:>8,} {result['peak_rss_growth_kib']:>20,}"
        )
    target = next((r for r in results if r["rows"] == TARGET_ROWS), None)
    if target:
        verdict = "met" if target["seconds"] < TARGET_SECONDS else "MISSED"
        print(f"target {verdict}: {TARGET_ROWS:,} rows in {target['seconds']:.2f} s")
    rows = []
    for r in results:
        is_target = r["rows"] == TARGET_ROWS
        rows.append(
            report.Row(
                f"CSV import, {r['rows']:,} contacts",
                r["rows_per_second"],
                "rows/s",
                target=f"{TARGET_ROWS:,} in < {TARGET_SECONDS:.0f} s" if is_target else "",
                baseline=r["copy_rows_per_second"],
                baseline_name="COPY",
                ratio=r["rows_per_second"] / r["copy_rows_per_second"],
                ratio_label="of COPY",
                passed=(r["seconds"] < TARGET_SECONDS) if is_target else None,
            )
        )
    rows.append(
        report.Row(
            "CSV import, peak RSS growth (largest)",
            results[-1]["peak_rss_growth_kib"] / 1024,
            "MiB",
            target="flat in the file's size",
        )
    )
    if target:  # a smaller run (the integration test's) does not replace the figures
        report.record("import_contacts", rows, load=load)
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child(int(sys.argv[2]))))
    else:
        main(tuple(int(a) for a in sys.argv[1:]) or DEFAULT_SIZES)
