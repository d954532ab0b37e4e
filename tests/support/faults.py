"""The fault suite's harness: traffic through the gateway while something breaks, and the checks
that nothing was lost, nothing done twice and nothing answered 500.

A case reads like this (tests/faults/ has the real ones):

    def test_something_survives_x(faulty, agency):
        traffic = Traffic(agency.api, agency.client_id, invite=True).start()
        with faulty.database_refusing("notifications"):   # or faulty.postgres_restarted() ...
            traffic.run_for(8)
        traffic.stop()
        traffic.assert_only_successes_or_503()
        traffic.assert_every_2xx_write_is_kept()
        traffic.assert_every_invitation_mailed_once(faulty.mailbox)

`Faulty` (the `faulty` fixture) holds the running system on the suite's private servers
(tests/support/private_infra.py) and its faults:
- `database_refusing(service)`: the service's database refuses connections (and ends the open
  ones) for the block;
- `postgres_restarted()`, `rabbit_stopped(seconds)`: the whole server goes away and comes back;
- `kill(program)`: SIGKILL a program of the stack (every process of a service: the suite runs
  two of each); the supervisor (deploy/stack.py) starts it again, `wait_restarted(program, n)`
  waits for it; `kill_one("billing-2")` kills one process only, `processes("billing")` names
  them, `stripe_caller()` is the process whose Stripe call the proxy holds;
- `stripe` (tests/support/stripe_proxy.py): Stripe slow, or its answer lost, for chosen calls;
- `mailbox.refuse_sends(True)`, `mailbox.hold_sends(seconds)`: SMTP refusing, or slow enough to
  cut a send off midway;
- `sql(service, statement)`: a state a case cannot wait for (an event dead after eight tries);
  `query(service, statement)`: rows a check reads that no answer shows.

`ScaledOut` (the `scaled_out` fixture) is the system as on several machines: two processes of each
service on a three-node RabbitMQ cluster with quorum queues. `handled_by(entrypoint)` counts,
per process, the calls and events each one handled (from the supervisor's log); `kill_node(i)`
loses a RabbitMQ node; `assert_outboxes_drained()` sees every recorded event published.

A later service plugs its own faults in the same way: a new `Faulty` method for the fault, a
`Traffic` subclass or a second traffic loop for its writes, and an `assert_...` that checks its
effect happened exactly once. The money cases (tests/faults/test_money_faults.py) do so: the
suite's STRIPE_API_BASE is a proxy that holds or drops chosen answers, the process doing the work
is found by its connection and killed, and invoices, charges (in localstripe) and the ledger are
counted afterwards.
"""

from __future__ import annotations

import collections
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import requests
from sqlalchemy import create_engine, text

from tests.support.api import ApiClient
from tests.support.mailbox import Mailbox
from tests.support.private_infra import PrivatePostgres, PrivateRabbit, PrivateRabbitCluster
from tests.support.processes import owner_of_port
from tests.support.stack import RunningSystem
from tests.support.stripe_proxy import StripeProxy

INVITATION_SUBJECT = "client portal"


@dataclass
class Answer:
    method: str
    path: str
    status: int  # 0: no HTTP answer at all
    body: str
    retry_after: str | None
    data: dict = field(default_factory=dict)  # the JSON body, if it was one


@dataclass
class Traffic:
    """A bounded loop of requests in a thread, to 127.0.0.1 only: a contact created (with a
    portal invitation when `invite`), the contact list read, the caller read; every answer kept.
    """

    api: ApiClient
    client_id: str
    invite: bool = False
    pause: float = 0.1
    max_rounds: int = 300
    answers: list[Answer] = field(default_factory=list)
    created: list[dict] = field(default_factory=list)  # contacts whose POST answered 201
    unsure: list[str] = field(default_factory=list)  # e-mails whose POST answered 503

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="traffic", daemon=True)

    def start(self) -> Traffic:
        self._thread.start()
        return self

    def run_for(self, seconds: float) -> None:
        """Let the traffic run (the fault, if any, holds meanwhile)."""
        time.sleep(seconds)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)
        assert not self._thread.is_alive(), "the traffic loop did not end"

    def _call(self, method: str, path: str, **kwargs) -> Answer:
        try:
            response = self.api.request(method, path, timeout=30, **kwargs)
            answer = Answer(
                method,
                path,
                response.status_code,
                response.text[:500],
                response.headers.get("Retry-After"),
                _json(response.text),
            )
        except requests.RequestException as exc:
            answer = Answer(method, path, 0, f"{type(exc).__name__}: {exc}", None)
        self.answers.append(answer)
        return answer

    def _loop(self) -> None:
        for _ in range(self.max_rounds):
            if self._stop.is_set():
                return
            email = f"faults-{uuid.uuid4().hex[:12]}@example.test"
            body = {"name": "Fault Tester", "email": email, "client_id": self.client_id}
            if self.invite:
                body["invite"] = True
            answer = self._call("POST", "/contacts", json=body)
            if answer.status == 201:
                self.created.append({"email": email, "id": answer.data["id"]})
            elif answer.status == 503:
                self.unsure.append(email)
            self._call("GET", f"/clients/{self.client_id}/contacts?per_page=5")
            self._call("GET", "/me")
            time.sleep(self.pause)

    # -- checks ---------------------------------------------------------------------------------

    def assert_only_successes_or_503(self) -> None:
        """Every answer a 2xx, or a 503 with Retry-After and the service_unavailable body."""
        bad = [a for a in self.answers if not (200 <= a.status < 300 or a.status == 503)]
        assert not bad, f"{len(bad)} answers neither 2xx nor 503, e.g. {bad[:3]}"
        for answer in self.answers:
            if answer.status == 503:
                assert answer.retry_after, answer
                assert answer.data["error"]["code"] == "service_unavailable", answer
        assert self.created, "no write succeeded at all during the traffic"

    def unavailable_count(self) -> int:
        return sum(1 for a in self.answers if a.status == 503)

    def assert_every_2xx_write_is_kept(self) -> None:
        """Each contact whose creation answered 201 is there afterwards."""
        for contact in self.created:
            self.api.get(f"/contacts/{contact['id']}", expect=200)

    def assert_every_invitation_mailed_once(self, mailbox: Mailbox, timeout: float = 60) -> None:
        """Each 201 contact's invitation arrives exactly once (waiting up to `timeout`); one
        whose POST answered 503 arrives at most once."""
        deadline = time.monotonic() + timeout
        emails = [c["email"] for c in self.created]
        while time.monotonic() < deadline:
            if all(mailbox.find(e, INVITATION_SUBJECT) for e in emails):
                break
            time.sleep(0.5)
        missing = [e for e in emails if not mailbox.find(e, INVITATION_SUBJECT)]
        assert not missing, f"{len(missing)} of {len(emails)} invitations never arrived"
        time.sleep(3)  # a duplicate would come now
        twice = [e for e in emails + self.unsure if len(mailbox.find(e, INVITATION_SUBJECT)) > 1]
        assert not twice, f"invitations e-mailed more than once: {twice}"


def _json(text: str) -> dict:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


@dataclass
class Agency:
    """A fresh agency for one case: its owner's API client and one client to add contacts to."""

    api: ApiClient
    client_id: str


@dataclass
class Faulty:
    """The running system on the suite's own servers, and the faults a case can inject."""

    system: RunningSystem
    postgres: PrivatePostgres
    rabbit: PrivateRabbit
    databases: dict[str, str]  # service -> database name
    stripe: StripeProxy | None = None  # in front of localstripe, for every Stripe call
    _killed: dict[str, int] = field(default_factory=dict)  # program -> restarts before the kill

    @property
    def mailbox(self) -> Mailbox:
        return self.system.mailbox

    @property
    def base_url(self) -> str:
        return self.system.base_url

    @contextlib.contextmanager
    def database_refusing(self, service: str) -> Iterator[None]:
        """The service's database refuses connections for the block."""
        self.postgres.refuse(self.databases[service])
        try:
            yield
        finally:
            self.postgres.allow(self.databases[service])

    def sql(self, service: str, statement: str, **params) -> None:
        """Run one statement in a service's database: a state a case needs and cannot wait for
        (an event tried eight times over twenty minutes, say)."""
        engine = create_engine(self.postgres.url(self.databases[service]))
        try:
            with engine.begin() as conn:
                conn.execute(text(statement), params)
        finally:
            engine.dispose()

    def query(self, service: str, statement: str, **params) -> list[dict]:
        """Rows of one query in a service's database, as dicts: what a check reads that no
        answer shows (payment attempts, ledger sums)."""
        engine = create_engine(self.postgres.url(self.databases[service]))
        try:
            with engine.connect() as conn:
                return [dict(row._mapping) for row in conn.execute(text(statement), params)]
        finally:
            engine.dispose()

    def postgres_restarted(self) -> None:
        self.postgres.restart()

    @contextlib.contextmanager
    def rabbit_stopped(self) -> Iterator[None]:
        """RabbitMQ stopped (every connection closed) for the block, then started again."""
        self.rabbit.stop_app()
        try:
            yield
        finally:
            self.rabbit.start_app()

    def processes(self, program: str) -> list[str]:
        """The processes of `program`: a service's replicas (`billing-1`, `billing-2`, ...)."""
        return [
            name
            for name in self.system.stack.running
            if name == program
            or (name.startswith(f"{program}-") and name.rsplit("-")[-1].isdigit())
        ]

    def kill(self, program: str) -> int:
        """SIGKILL a program of the running system, every process of it (a service runs in
        several); returns how often it was restarted before."""
        names = self.processes(program) or [program]
        self._killed = {name: self.system.stack.restarts[name] for name in names}
        for name in names:
            self.system.stack.kill(name)
        return self._killed[names[0]]

    def kill_one(self, process: str) -> int:
        """SIGKILL one process (`billing-2`); the service's others go on."""
        self._killed = {process: self.system.stack.restarts[process]}
        self.system.stack.kill(process)
        return self._killed[process]

    def process_of(self, ports: list[int], service: str) -> str | None:
        """The process of `service` owning the connection from one of `ports`, if any."""
        pids = {
            name: self.system.stack.running[name].process.pid for name in self.processes(service)
        }
        for port in ports:
            owner = owner_of_port(pids, port)
            if owner:
                return owner
        return None

    def stripe_caller(self, service: str = "billing") -> str | None:
        """The process of `service` whose Stripe call the proxy holds right now, if any."""
        assert self.stripe is not None
        return self.process_of(self.stripe.held_ports(), service)

    def wait_restarted(self, program: str, after: int, timeout: float = 30) -> None:
        """Wait until the supervisor has started `program` (each process the last kill ended)
        again and the system is healthy."""
        deadline = time.monotonic() + timeout
        names = self.processes(program) or [program]
        killed = {name: self._killed.get(name, after) for name in names if name in self._killed}
        killed = killed or {program: after}
        for name, before in killed.items():
            while self.system.stack.restarts[name] <= before:
                assert time.monotonic() < deadline, f"{name} was not restarted in {timeout} s"
                time.sleep(0.2)
        self.system.stack.wait_until_healthy(max(1.0, deadline - time.monotonic()) + 30)


# A call or event a service handled, as kit.service.RequestLogging logs it, behind the
# supervisor's `<program> | ` prefix (deploy/stack.py).
HANDLED = re.compile(r"^(\S+)\s*\| .*\[kit\.calls\] \[req=[^\]]*\] (\w+\.\w+) ok in ")


@dataclass
class ScaledOut:
    """Several processes of each service on a RabbitMQ cluster, and what a case checks there."""

    system: RunningSystem
    postgres: PrivatePostgres
    cluster: PrivateRabbitCluster
    databases: dict[str, str]  # service -> database name

    @property
    def mailbox(self) -> Mailbox:
        return self.system.mailbox

    @property
    def base_url(self) -> str:
        return self.system.base_url

    def handled_by(self, entrypoint: str) -> collections.Counter[str]:
        """How many times each process has handled `entrypoint` ("identity.health") so far."""
        counts: collections.Counter[str] = collections.Counter()
        with self.system.log.open(errors="replace") as log:
            for line in log:
                found = HANDLED.match(line)
                if found and found.group(2) == entrypoint:
                    counts[found.group(1)] += 1
        return counts

    def scalar(self, service: str, query: str, **params):
        engine = create_engine(self.postgres.url(self.databases[service]))
        try:
            with engine.connect() as conn:
                return conn.execute(text(query), params).scalar()
        finally:
            engine.dispose()

    def assert_outboxes_drained(self, timeout: float = 30) -> None:
        """Every event every service recorded is published (its outbox has none left)."""
        deadline = time.monotonic() + timeout
        waiting = {}
        while True:
            waiting = {
                service: backlog
                for service in self.databases
                if (
                    backlog := self.scalar(
                        service, "SELECT count(*) FROM outbox WHERE published_at IS NULL"
                    )
                )
            }
            if not waiting:
                return
            assert time.monotonic() < deadline, f"events never published: {waiting}"
            time.sleep(0.5)

    def assert_no_failed_events(self) -> None:
        """No handler of any service failed on an event (nothing kept for retry, none dead)."""
        failed = {
            service: count
            for service in self.databases
            if (count := self.scalar(service, "SELECT count(*) FROM failed_events"))
        }
        assert not failed, f"handlers failed on events: {failed}"

    def queue_types(self) -> dict[str, str]:
        """Each queue of the cluster and its type (classic, quorum), asked of a running node."""
        node = next(n for n in self.cluster.nodes if n.process and n.process.poll() is None)
        listed = json.loads(node.ctl("list_queues", "name", "type", "--formatter", "json"))
        return {queue["name"]: queue["type"] for queue in listed}
