"""The clients service and the real identity service in nameko containers on a fresh RabbitMQ
vhost, each on its own test database, called over RPC the way the gateway calls them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import eventlet
import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, text

from clients.service import ClientsService
from identity import passwords
from identity.service import IdentityService
from kit.rpc import RpcClient
from kit.testing import (
    capture_events,
    drop_database,
    fresh_database,
    service_config,
    truncate_all,
)

PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session")
def identity_db_url():
    url = fresh_database("identity", suffix=f"_test_for_clients_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        yield


class Rpc:
    """service.method(*args) over RPC, with remote domain errors raised as kit errors."""

    def __init__(self, client: RpcClient, service: str):
        self.client, self.service = client, service

    def __getattr__(self, method: str):
        return lambda *a, **kw: self.client.call(self.service, method, *a, **kw)


@pytest.fixture(scope="session")
def s3_url():
    """moto's S3 server (what `make run` starts beside localstripe), on a port of its own."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("moto's S3 server did not start")
        time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture
def clients_settings() -> dict:
    """Configuration keys the clients service gets on top of its config.yaml (a test may
    parametrize this fixture)."""
    return {}


@pytest.fixture
def system(container_factory, rabbit_config, db_url, identity_db_url, clients_settings, s3_url):
    """Both services started; yields (clients rpc, identity rpc, clients config, identity's
    container: a test may stop it)."""
    truncate_all(db_url)
    settings = {"S3_ENDPOINT_URL": s3_url, **clients_settings}
    config = service_config("clients", rabbit_config, db_url, **settings)
    container_factory(ClientsService, config).start()
    identity_container = container_factory(
        IdentityService, service_config("identity", rabbit_config, identity_db_url)
    )
    identity_container.start()
    client = RpcClient(config, timeout=10)
    yield Rpc(client, "clients"), Rpc(client, "identity"), config, identity_container
    client.close()


@pytest.fixture
def clients(system):
    return system[0]


@pytest.fixture
def identity(system):
    return system[1]


def ctx_of(principal: dict, **overrides) -> dict:
    """The context the gateway builds for a principal."""
    ctx = {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": principal["kind"],
        "permissions": principal["permissions"],
        "client_id": principal.get("client_id"),
        "contact_id": principal.get("contact_id"),
        "request_id": "test-request",
    }
    ctx.update(overrides)
    return ctx


@pytest.fixture
def signup(identity):
    """signup(name) -> (owner ctx, owner principal) of a new agency, over identity's RPC."""
    counter = iter(range(1000))

    def make(name="Acme Agency"):
        email = f"owner{next(counter)}-{time.monotonic_ns()}@agency.test"
        result = identity.signup({"agency_id": None}, name, "Olive Owner", email, PASSWORD)
        return ctx_of(result["principal"]), result["principal"]

    return make


@pytest.fixture
def set_client_limit(identity_db_url):
    """set_client_limit(agency_id, n): put the agency on a plan allowing n clients."""

    def set_limit(agency_id: str, limit: int) -> None:
        engine = create_engine(identity_db_url)
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO plans (code, name, client_limit, price_per_user, currency, "
                    "is_default, position) VALUES (:code, 'Tiny', :limit, 100, 'USD', false, 99) "
                    "ON CONFLICT (code) DO UPDATE SET client_limit = :limit"
                ),
                {"code": f"tiny{limit}", "limit": limit},
            )
            conn.execute(
                text("UPDATE agencies SET plan_code = :code WHERE id = :agency"),
                {"code": f"tiny{limit}", "agency": agency_id},
            )
        engine.dispose()

    return set_limit


@pytest.fixture
def events(system):
    """Every event on the `clients.events` exchange from now on: events.wait_for(type)."""
    with capture_events(system[2], "clients") as queue:
        yield queue


# Transactions of the clients database open for longer than any write of it takes.
LONG_TRANSACTIONS = text(
    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
    "AND pid <> pg_backend_pid() AND xact_start < clock_timestamp() - interval '500 ms'"
)


@pytest.fixture
def long_transactions_during(db_url):
    """long_transactions_during(calls): wait for the spawned calls while watching the clients
    database; the most of its transactions seen open at once for longer than a write takes."""

    def watch(calls: list) -> int:
        engine = create_engine(db_url)
        most = 0
        while not all(call.dead for call in calls):
            with engine.connect() as connection:
                most = max(most, connection.scalar(LONG_TRANSACTIONS))
            eventlet.sleep(0.05)
        engine.dispose()
        return most

    return watch
