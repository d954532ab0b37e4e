"""Benchmark: a billing run through the billing service's real run code.

    python -m benchmarks.billing_run            # 10,000 due assignments
    python -m benchmarks.billing_run 500        # any size

Targets: a run over 10,000 due assignments of one agency (check clients: no card calls) issues
its 10,000 invoices in under 10 s, and a second run over the same data finishes in under 2 s
with nothing new. Beside them, a plain multi-row INSERT of the same invoices and lines into the
same tables, and the ratio (aim: the run reaches 30% of the plain insert's speed).

Against the `agency_billing_bench` database (re-created and migrated first): one agency, 1,000
clients, and the assignments (monthly in advance, starting today: one invoice each), written
with set-based SQL before the clock starts. Each run is `invoicing.runs.run_billing` in one
transaction, as the `run_billing` RPC runs it, commit included. The plain insert writes the rows
the first run issued (read back, deleted, committed) with the same multi-row INSERT batches.
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from datetime import date

TARGET_ASSIGNMENTS = 10_000
TARGET_RUN_SECONDS = 10.0
TARGET_RERUN_SECONDS = 2.0
TARGET_RATIO = 0.30
CLIENTS = 1_000


def seed(session, agency: uuid.UUID, assignments: int, today: date) -> None:
    """One agency's clients, one service and `assignments` assignments due today."""
    from sqlalchemy import text

    params = {"agency": agency, "today": today, "n": assignments, "clients": CLIENTS}
    session.execute(
        text(
            "INSERT INTO client_facts (client_id, agency_id, name, status, archived, "
            "services_chosen, updated_at) SELECT gen_random_uuid(), :agency, 'Client ' || i, "
            "'active', false, false, now() FROM generate_series(1, :clients) AS i"
        ),
        params,
    )
    session.execute(
        text(
            "INSERT INTO services (id, agency_id, name, description, created_at, updated_at) "
            "VALUES (gen_random_uuid(), :agency, 'Retainer', '', now(), now())"
        ),
        params,
    )
    session.execute(
        text(
            "INSERT INTO assignments (id, agency_id, service_id, client_id, payment_method, "
            "billing_type, start_date, rate, currency, note, next_bill_on, created_at) "
            "SELECT gen_random_uuid(), :agency, s.id, c.client_id, 'check', "
            "'recurring_in_advance', :today, 10000 + i, 'USD', '', :today, now() "
            "FROM generate_series(1, :n) AS i "
            "JOIN (SELECT client_id, row_number() OVER () - 1 AS k FROM client_facts) AS c "
            "ON c.k = i % :clients CROSS JOIN services AS s"
        ),
        params,
    )
    session.commit()


def timed_run(session, ctx, today: date, settings) -> tuple[dict, float, float]:
    """The run's answer, its wall-clock seconds and this process's CPU seconds in it (on a
    loaded machine the two differ: the wall clock also counts waiting for a core)."""
    from billing.invoicing import runs

    started, cpu = time.perf_counter(), time.process_time()
    with session.begin():
        answer = runs.run_billing(session, ctx, today, settings)
    return answer, time.perf_counter() - started, time.process_time() - cpu


def plain_insert(session, table, rows: list[dict], batch: int = 500) -> None:
    """`INSERT INTO table (...) VALUES (...), (...), ...`, `batch` rows a statement, straight
    through psycopg (no ORM, no SQL compilation per batch)."""
    columns = list(rows[0])
    raw = session.connection().connection.driver_connection
    row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    with raw.cursor() as cursor:
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            cursor.execute(
                f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES "
                + ", ".join([row_marks] * len(chunk)),
                [row[column] for row in chunk for column in columns],
            )


def timed_plain_insert(session) -> float:
    """The first run's invoices and lines written again with plain multi-row INSERTs."""
    from sqlalchemy import delete, select

    from billing.models import Invoice, InvoiceLine

    with session.begin():
        invoices = [dict(r._mapping) for r in session.execute(select(Invoice.__table__))]
        lines = [dict(r._mapping) for r in session.execute(select(InvoiceLine.__table__))]
        session.execute(delete(InvoiceLine))
        session.execute(delete(Invoice))
    started = time.perf_counter()
    with session.begin():
        plain_insert(session, Invoice.__table__, invoices)
        plain_insert(session, InvoiceLine.__table__, lines)
    return time.perf_counter() - started


def main(assignments: int) -> dict:
    from sqlalchemy.orm import Session

    from benchmarks import report
    from billing.settings import Settings
    from kit.context import Context
    from kit.db import make_engine
    from kit.testing import fresh_database

    load = os.getloadavg()
    url = fresh_database("billing", suffix="_bench")
    engine = make_engine(url, pool_size=1)
    settings = Settings(payment_terms_days=14)
    agency = uuid.uuid4()
    ctx = Context.system(str(agency))
    today = date.today()  # the agency has no time zone recorded: UTC, as the run reads it
    with Session(engine, expire_on_commit=False) as session:
        seed(session, agency, assignments, today)
        first, run_seconds, run_cpu = timed_run(session, ctx, today, settings)
        second, rerun_seconds, _ = timed_run(session, ctx, today, settings)
        plain_seconds = timed_plain_insert(session)
    engine.dispose()
    assert first["issued"] == assignments and second["issued"] == 0, (first, second)
    ratio = plain_seconds / run_seconds
    print(
        f"billing run in {url.rsplit('/', 1)[-1]}: {assignments:,} due assignments, check clients"
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'':<28} {'seconds':>8} {'invoices/s':>11}")
    print(f"{'first run (issues all)':<28} {run_seconds:>8.2f} {assignments / run_seconds:>11,.0f}")
    print(f"{'  of which our CPU':<28} {run_cpu:>8.2f}")
    print(f"{'second run (nothing new)':<28} {rerun_seconds:>8.2f} {'':>11}")
    print(
        f"{'plain multi-row INSERT':<28} {plain_seconds:>8.2f} "
        f"{assignments / plain_seconds:>11,.0f}"
    )
    print(f"the run reaches {ratio:.0%} of the plain insert's speed (aim: {TARGET_RATIO:.0%})")
    if assignments == TARGET_ASSIGNMENTS:
        met = run_seconds < TARGET_RUN_SECONDS and rerun_seconds < TARGET_RERUN_SECONDS
        print(
            f"target {'met' if met else 'MISSED'}: {assignments:,} invoices in "
            f"{run_seconds:.2f} s (< {TARGET_RUN_SECONDS:.0f} s), second run "
            f"{rerun_seconds:.2f} s (< {TARGET_RERUN_SECONDS:.0f} s)"
        )
    is_target = assignments == TARGET_ASSIGNMENTS
    rows = [
        report.Row(
            f"billing run, {assignments:,} invoices",
            run_seconds,
            "s",
            target=f"< {TARGET_RUN_SECONDS:.0f} s" if is_target else "",
            passed=run_seconds < TARGET_RUN_SECONDS if is_target else None,
        ),
        report.Row(
            "billing run, invoices/s",
            assignments / run_seconds,
            "invoices/s",
            target=f"{TARGET_RATIO:.0%} of plain INSERT",
            baseline=assignments / plain_seconds,
            baseline_name="plain multi-row INSERT",
            ratio=ratio,
            ratio_label="of INSERT",
            passed=ratio >= TARGET_RATIO,
        ),
        report.Row(
            "billing run again (nothing new)",
            rerun_seconds,
            "s",
            target=f"< {TARGET_RERUN_SECONDS:.0f} s" if is_target else "",
            passed=rerun_seconds < TARGET_RERUN_SECONDS if is_target else None,
        ),
    ]
    if is_target:  # a smaller run (the integration test's) does not replace the figures
        report.record("billing_run", rows, load=load)
    return {"run": run_seconds, "rerun": rerun_seconds, "plain": plain_seconds, "ratio": ratio}


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else TARGET_ASSIGNMENTS)
