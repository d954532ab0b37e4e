"""Benchmark: concurrent writers recording usage on one client through the billing service's RPC.

    python -m benchmarks.usage_writers              # 32 writers, 100 usages each
    python -m benchmarks.usage_writers 32 50 2 4    # writers, usages each, service processes,
                                                    # caller processes the writers are spread over

Target: 32 concurrent writers recording usage on ONE client (one balance row, the worst case)
through RPC reach at least 1,000 usage records a second, with no lost update: every usage is
recorded, and at the end the ledger's sum equals the stored balance. Beside it, a bare
`UPDATE ... RETURNING` loop on one row with the same writers (each its own connection,
autocommit): the most one hot row allows, and the ratio.

The billing service runs as in production (`nameko run --config ...`, one or more processes
consuming the same RPC queue) on a RabbitMQ vhost of its own, against `agency_billing_bench`
(re-created and migrated). The writers are threads spread over a few caller processes (4 by
default: 32 integrations are not one Python process, and one process's GIL would bound the
callers, not the service), each writer with its own RPC proxy (kit.rpc.RpcClient, as the
gateway's threads have), calling `billing.record_usage` with its own idempotency keys; the bare
UPDATE's writers are spread the same way, each with its own connection. Every writer connects
(and makes one call) before the clock starts.
Beside each rate, the CPU a call took in the callers (the writers), in the service processes
and in PostgreSQL: the machine is shared, so the rates move with its load; the CPU a call costs
and the ratios to RPC alone and to the bare UPDATE, measured in the same run, are what compare.
Their sum bounds the rate on this machine (2 cores: 2,000 ms of CPU a second, RabbitMQ's share
not counted).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

TARGET_RATE = 1000.0
DEFAULT_SIZES = (32, 100, 2, 4)  # writers, usages each, service processes, caller processes
ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "services" / "billing" / "billing" / "config.yaml"
AMOUNT = 3


def seed(url: str, ctx) -> str:
    """One agency with one client and an agency balance that covers every usage."""
    from sqlalchemy.orm import Session

    from billing.facts.clients import remember_client
    from billing.ledger import topups
    from kit.db import make_engine

    engine = make_engine(url, pool_size=1)
    client = uuid.uuid4()
    with Session(engine) as session:
        with session.begin():
            remember_client(session, ctx.agency, client, name="Bench client")
        with session.begin():
            topups.record_manual_credit(session, ctx, 10**10, "BENCH", "bench-credit")
    engine.dispose()
    return str(client)


def start_services(url: str, amqp_uri: str, processes: int) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "AMQP_URI": amqp_uri,
        "BILLING_DATABASE_URL": url,
        "PSYCOPG_WAIT_FUNC": "wait_select",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "nameko", "run", "--config", str(CONFIG), "billing.service"]
    return [
        subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(processes)
    ]


def wait_healthy(rpc, ctx, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            rpc.call("billing", "health", ctx.to_dict())
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (Linux /proc; 0 elsewhere)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def database_backends(url: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `url`'s database."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    database = dsn.rsplit("/", 1)[-1]
    with psycopg.connect(dsn.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s", (database,)
            )
        ]
    return {pid: cpu_seconds(pid) for pid in pids}


class CpuMeter:
    """CPU milliseconds a call of the callers (the writers), of the services and of PostgreSQL
    (the backends serving the benchmark's database; a backend that came during the run counts
    from zero): on a shared machine the rate follows the CPU others leave, the CPU a call
    costs does not. Their sum bounds the rate: two cores give at most 2,000 ms a second."""

    def __init__(self, services: list[subprocess.Popen], calls: int, url: str):
        self.services, self.calls, self.url = services, calls, url
        self.client = 0.0

    def __enter__(self) -> CpuMeter:
        self.service = sum(cpu_seconds(s.pid) for s in self.services)
        self.database = database_backends(self.url)
        return self

    def __exit__(self, *exc) -> None:
        self.service = (sum(cpu_seconds(s.pid) for s in self.services) - self.service) * 1000
        self.service /= self.calls
        before = self.database
        after = database_backends(self.url)
        used = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
        self.database = used * 1000 / self.calls

    def callers(self, cpu: float) -> None:
        """The CPU seconds the callers used in the run."""
        self.client = cpu * 1000 / self.calls

    def __str__(self) -> str:
        return (
            f"CPU a call: writers {self.client:.2f} ms, service {self.service:.2f} ms, "
            f"PostgreSQL {self.database:.2f} ms"
        )


class Writers:
    """What each writer does, built in each caller process: `setup(writer)` connects (before
    the clock), `work(writer, i)` is one call, `close()` disconnects."""

    def setup(self, writer: int) -> None:
        pass

    def work(self, writer: int, i: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


def _caller(make, numbers: list[int], each: int, start, results) -> None:
    """One caller process: its writers' threads connect, wait for the start together with every
    other caller process, make `each` calls each; (CPU seconds of the run, error) to `results`."""
    error: BaseException | None = None
    writers = make()
    ready = threading.Barrier(len(numbers) + 1)
    go = threading.Event()
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            writers.setup(number)
        except BaseException as exc:  # reported after the run
            errors.append(exc)
        ready.wait()
        go.wait()
        if errors:
            return
        try:
            for i in range(each):
                writers.work(number, i)
        except BaseException as exc:  # reported after the run
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in numbers]
    for thread in threads:
        thread.start()
    ready.wait()
    start.wait()
    cpu = time.process_time()
    go.set()
    for thread in threads:
        thread.join()
    cpu = time.process_time() - cpu
    with contextlib.suppress(Exception):  # the figures are taken; a failed close changes nothing
        writers.close()
    if errors:
        error = errors[0]
    results.put((cpu, None if error is None else f"{type(error).__name__}: {error}"))


def run_writers(writers: int, each: int, callers: int, make) -> tuple[float, float]:
    """`writers` writers spread over `callers` processes (forked, each building its own
    connections with `make()`), `each` calls each, all started together; (seconds, CPU seconds
    the callers used)."""
    context = multiprocessing.get_context("fork")
    groups = [
        group for group in (list(range(writers))[i::callers] for i in range(callers)) if group
    ]
    start = context.Barrier(len(groups) + 1)
    results = context.Queue()
    processes = [
        context.Process(target=_caller, args=(make, group, each, start, results))
        for group in groups
    ]
    for process in processes:
        process.start()
    try:
        start.wait(timeout=120)
        started = time.perf_counter()
        outcomes = [results.get(timeout=600) for _ in processes]
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    errors = [error for _, error in outcomes if error]
    if errors:
        raise RuntimeError(f"a writer failed: {errors[0]}")
    return seconds, sum(cpu for cpu, _ in outcomes)


class RpcWriters(Writers):
    """Each writer its own RPC proxy (`RpcClient` keeps one per thread)."""

    def __init__(self, config: dict, ctx: dict):
        from kit.rpc import RpcClient

        self.rpc, self.ctx = RpcClient(config, timeout=30), ctx

    def setup(self, writer: int) -> None:
        self.rpc.call("billing", "health", self.ctx)  # the proxy started, a worker warmed

    def close(self) -> None:
        self.rpc.close()


class HealthWriters(RpcWriters):
    """`billing.health` (no database): what RPC alone allows here."""

    def work(self, writer: int, i: int) -> None:
        self.rpc.call("billing", "health", self.ctx)


class UsageWriters(RpcWriters):
    def __init__(self, config: dict, ctx: dict, client: str):
        super().__init__(config, ctx)
        self.client = client

    def work(self, writer: int, i: int) -> None:
        self.rpc.call(
            "billing", "record_usage", self.ctx, self.client, AMOUNT, "bench", f"w{writer}-{i}"
        )


class BareWriters(Writers):
    """`UPDATE ... RETURNING` on one row, one autocommit connection per writer."""

    def __init__(self, dsn: str):
        self.dsn, self.connections = dsn, {}

    def setup(self, writer: int) -> None:
        import psycopg

        self.connections[writer] = psycopg.connect(self.dsn, autocommit=True)

    def work(self, writer: int, i: int) -> None:
        self.connections[writer].execute(
            "UPDATE bench_counter SET n = n + 1 WHERE id = 1 RETURNING n"
        ).fetchone()

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()


def bare_update(url: str, writers: int, each: int, callers: int) -> float:
    """`UPDATE ... RETURNING` on one row, the same writers, each its own autocommit connection."""
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS bench_counter (id int PRIMARY KEY, n bigint)")
        conn.execute("INSERT INTO bench_counter VALUES (1, 0) ON CONFLICT (id) DO NOTHING")
    seconds, _ = run_writers(writers, each, callers, lambda: BareWriters(dsn))
    return seconds


def check_ledger(url: str, ctx, expected: int) -> tuple[int, int, int]:
    """(usage records, stored agency balance, balance summed from the ledger)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        count = conn.scalar(
            text("SELECT count(*) FROM ledger_transfers WHERE kind = 'usage' AND agency_id = :a"),
            {"a": ctx.agency},
        )
        stored = conn.scalar(
            text("SELECT balance FROM ledger_accounts WHERE kind = 'agency' AND agency_id = :a"),
            {"a": ctx.agency},
        )
        summed = conn.scalar(
            text(
                "SELECT COALESCE(sum(CASE WHEN t.to_account_id = a.id THEN t.amount "
                "ELSE -t.amount END), 0) FROM ledger_accounts a JOIN ledger_transfers t "
                "ON a.id IN (t.from_account_id, t.to_account_id) "
                "WHERE a.kind = 'agency' AND a.agency_id = :a"
            ),
            {"a": ctx.agency},
        )
    engine.dispose()
    return int(count), int(stored), int(summed)


def main(writers: int, each: int, processes: int, callers: int) -> dict:
    from kit import permissions
    from kit.config import load_config
    from kit.rpc import RpcClient
    from kit.testing import fresh_database, team_context
    from tests.support.infra import RabbitVhost

    load_before = os.getloadavg()
    url = fresh_database("billing", suffix="_bench")
    ctx = team_context(None, {permissions.MANAGE_BILLING, permissions.VIEW_BILLING})
    client = seed(url, ctx)
    vhost = RabbitVhost(f"bench-{uuid.uuid4().hex[:8]}")
    vhost.create()
    services = start_services(url, vhost.amqp_uri, processes)
    config = {**load_config("billing"), "AMQP_URI": vhost.amqp_uri}
    rpc = RpcClient(config, timeout=30)
    try:
        wait_healthy(rpc, ctx)
        rpc.close()  # the caller processes fork from here: no broker connection to share
        with CpuMeter(services, writers * each, url) as usage_cpu:
            seconds, cpu = run_writers(
                writers, each, callers, lambda: UsageWriters(config, ctx.to_dict(), client)
            )
        usage_cpu.callers(cpu)
        with CpuMeter(services, writers * each, url) as health_cpu:
            health_seconds, cpu = run_writers(
                writers, each, callers, lambda: HealthWriters(config, ctx.to_dict())
            )
        health_cpu.callers(cpu)
    finally:
        for service in services:
            service.terminate()
        for service in services:
            service.wait(timeout=30)
        vhost.delete()
    total = writers * each
    count, stored, summed = check_ledger(url, ctx, total)
    bare_seconds = bare_update(url, writers, each, callers)
    rate, bare_rate = total / seconds, total / bare_seconds
    print(
        f"usage writers in {url.rsplit('/', 1)[-1]}: {writers} writers x {each} usages, "
        f"spread over {callers} caller process(es)"
    )
    print(
        f"load average (1, 5, 15 min) before: {' '.join(f'{x:.2f}' for x in load_before)}; "
        f"after: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
    )
    print(
        f"record_usage over RPC ({processes} service process(es)): {total:,} usages in "
        f"{seconds:.2f} s = {rate:,.0f}/s (target >= {TARGET_RATE:,.0f}/s: "
        f"{'met' if rate >= TARGET_RATE else 'NOT met'}); {usage_cpu}"
    )
    print(
        f"RPC alone (billing.health, same writers): {total / health_seconds:,.0f}/s; "
        f"record_usage reaches {rate * health_seconds / total:.0%} of it; {health_cpu}"
    )
    lost = f"{total - count} lost" if total - count else "none lost"
    print(
        f"no lost update: {count:,} recorded of {total:,} ({lost}); "
        f"stored balance {stored:,} = ledger sum {summed:,}: {'yes' if stored == summed else 'NO'}"
        f"; balance = credit - usages: {'yes' if stored == 10**10 - AMOUNT * total else 'NO'}"
    )
    print(
        f"bare UPDATE ... RETURNING on one row, same writers: {total:,} in {bare_seconds:.2f} s "
        f"= {bare_rate:,.0f}/s; record_usage reaches {rate / bare_rate:.0%} of it"
    )
    assert count == total and stored == summed == 10**10 - AMOUNT * total
    if (
        writers,
        each,
        processes,
        callers,
    ) == DEFAULT_SIZES:  # the integration test's small run is not
        from benchmarks import report  # the figure

        report.record(
            "usage_writers",
            [
                report.Row(
                    f"usage writers, {writers} x {each} over RPC ({processes} service, "
                    f"{callers} caller processes)",
                    rate,
                    "usages/s",
                    target=f">= {TARGET_RATE:,.0f}/s",
                    baseline=bare_rate,
                    baseline_name="bare UPDATE ... RETURNING",
                    ratio=rate / bare_rate,
                    ratio_label="of bare UPDATE",
                    passed=rate >= TARGET_RATE,
                ),
                report.Row(
                    "usage writers, RPC alone (billing.health)",
                    total / health_seconds,
                    "calls/s",
                    ratio=rate * health_seconds / total,
                    ratio_label="reached by record_usage",
                ),
            ],
        )
    return {"rate": rate, "bare_rate": bare_rate}


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:]]
    main(*(args + list(DEFAULT_SIZES)[len(args) :]))
