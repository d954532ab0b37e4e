"""Concurrency on real PostgreSQL: runs at once (green threads, as a service's workers are, each
on its own connection), and runs in two service processes: each invoice once, numbers gapless."""

import os
import subprocess
import sys
import time
from datetime import date, timedelta

import eventlet
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.catalog import assignments, services
from billing.invoicing import charges, runs
from billing.models import Invoice
from billing.settings import Settings
from deploy.stack import ROOT
from kit.rpc import RpcClient

SETTINGS = Settings(payment_terms_days=14)
TODAY = date.today()


@pytest.fixture
def due_work(write, ctx, known_client):
    """Twenty assignments of every recurring type, all with periods due today."""
    service = write(services.add_service, ctx, "SEO")["id"]
    start = TODAY - timedelta(days=95)
    types = ("recurring_in_advance", "recurring_in_arrears", "one_time")
    for i in range(21):
        write(
            assignments.assign_service,
            ctx,
            service,
            known_client(ctx, f"Client {i}"),
            "check",
            types[i % 3],
            start.isoformat(),
            1000 + i,
        )
    # in advance: 4 cycles each, in arrears: 3, one-time: 1 -> 7 * (4 + 3 + 1)
    return {"service": service, "expected": 56}


def issued(engine, ctx) -> list[tuple]:
    with Session(engine) as session:
        return session.execute(
            select(Invoice.number, Invoice.assignment_id, Invoice.period_start).where(
                Invoice.agency_id == ctx.agency
            )
        ).all()


def assert_once_and_gapless(rows, expected: int) -> None:
    numbers = sorted(number for number, _, _ in rows)
    assert numbers == list(range(1, expected + 1))
    periods = [(a, p) for _, a, p in rows if a is not None]
    assert len(periods) == len(set(periods))


def run_in_own_session(engine, ctx, fn, *args):
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return fn(session, ctx, *args)


def test_runs_at_once_issue_each_invoice_once_with_gapless_numbers(engine, ctx, due_work):
    pool = eventlet.GreenPool()
    results = list(
        pool.imap(
            lambda _: run_in_own_session(engine, ctx, runs.run_billing, TODAY, SETTINGS),
            range(4),
        )
    )
    assert sorted(r["issued"] for r in results) == [0, 0, 0, due_work["expected"]]
    assert_once_and_gapless(issued(engine, ctx), due_work["expected"])


def test_charges_during_a_run_take_the_next_numbers(engine, ctx, due_work, known_client):
    client = known_client(ctx, "Walk-in")
    pool = eventlet.GreenPool()
    run = pool.spawn(run_in_own_session, engine, ctx, runs.run_billing, TODAY, SETTINGS)
    charged = [
        pool.spawn(
            run_in_own_session,
            engine,
            ctx,
            charges.charge_now,
            client,
            due_work["service"],
            99,
            SETTINGS,
        )
        for _ in range(5)
    ]
    run.wait()
    for charge in charged:
        charge.wait()
    assert_once_and_gapless(issued(engine, ctx), due_work["expected"] + 5)


@pytest.fixture
def two_processes(rabbit_config, db_url, tmp_path):
    """Two `nameko run` processes of the billing service on one database and broker; yields
    an RPC client and the two processes' log files."""
    env = {
        **os.environ,
        "AMQP_URI": rabbit_config["AMQP_URI"],
        "BILLING_DATABASE_URL": db_url,
        "PSYCOPG_WAIT_FUNC": "wait_select",
    }
    argv = [
        sys.executable,
        "-m",
        "nameko",
        "run",
        "--config",
        "services/billing/billing/config.yaml",
        "billing.service",
    ]
    logs = [tmp_path / f"billing-{i}.log" for i in range(2)]
    processes = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
        for log in logs
    ]
    client = RpcClient(rabbit_config, timeout=20)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                client.call("billing", "health", {"agency_id": None})
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield client, logs
    finally:
        client.close()
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()  # never leave a service process behind to eat the machine
                process.wait()


def test_runs_in_two_service_processes_issue_each_invoice_once(
    due_work, two_processes, engine, ctx
):
    client, logs = two_processes
    # Time for both processes to consume from the service queue, so calls are shared out.
    time.sleep(2)
    pool = eventlet.GreenPool()
    wire = ctx.to_dict()
    results = list(
        pool.imap(
            lambda _: client.call("billing", "run_billing", wire, TODAY.isoformat()),
            range(6),
        )
    )
    assert sum(r["issued"] for r in results) == due_work["expected"]
    assert_once_and_gapless(issued(engine, ctx), due_work["expected"])
    # RabbitMQ shared the calls out: both processes ran billing.
    assert all("billing.run_billing ok" in log.read_text() for log in logs)
