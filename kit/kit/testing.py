"""Helpers for the services' integration tests: real PostgreSQL, real RabbitMQ.

`fresh_database(package)` gives a service its own test database at the latest migration;
`truncate_all(url)` empties it between tests. Fakes stay out of integration tests. `png_bytes`
and `png` make the small images the logo and avatar tests upload.
"""

from __future__ import annotations

import base64
import contextlib
import os
import socket
import struct
import subprocess
import sys
import time
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

import requests
from kombu import Connection, Queue
from nameko.events import get_event_exchange
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kit.config import load_config
from kit.context import Context
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade

# Suites run side by side on one machine (two checkouts of the repository) set TEST_RUN_TAG so
# that their databases never meet; empty by default.
RUN_TAG = os.environ.get("TEST_RUN_TAG", "")


def database_url_for_tests(package: str, suffix: str = "_test") -> str:
    """The service's configured URL with `suffix` (and the run's tag) added to the database name."""
    url = make_url(load_config(package)[DATABASE_URL_KEY])
    name = f"{url.database}{suffix}{RUN_TAG}"
    return url.set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()


def fresh_database(package: str, suffix: str = "_test") -> str:
    """Drop and re-create the service's test database, migrated to head; returns its URL.

    Runs that may overlap on one machine (the stack tests, a second suite) pass their own suffix.
    """
    url = database_url_for_tests(package, suffix)
    drop_database(url)
    upgrade(package, url)
    return url


def truncate_all(url: str, keep: tuple[str, ...] = ()) -> None:
    """Empty every table but Alembic's and those in `keep` (rows a migration seeded)."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version' AND NOT tablename = ANY(:keep)"
            ),
            {"keep": list(keep)},
        ).all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()


def service_config(package: str, rabbit_config: dict, db_url: str, **extra) -> dict:
    """The service's own config.yaml, pointed at the test broker vhost and test database."""
    config = load_config(package)
    config.update(rabbit_config)
    config[DATABASE_URL_KEY] = db_url
    config.update(extra)
    return config


class EventQueue:
    """Every event a service publishes from now on: `wait_for(event_type)` gives the next one."""

    def __init__(self, simple):
        self.simple = simple

    def wait_for(self, event_type: str, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {event_type} event within {timeout} s")
            try:
                message = self.simple.get(timeout=remaining)
            except self.simple.Empty:
                continue
            message.ack()
            if message.delivery_info["routing_key"] == event_type:
                return message.payload


@contextlib.contextmanager
def capture_events(config: dict, service: str):
    """A queue bound to all of `service`'s events for the duration of the block."""
    exchange = get_event_exchange(service, config)
    with Connection(config["AMQP_URI"]) as connection:
        queue = Queue(f"{service}-events-test", exchange=exchange, routing_key="#")
        queue(connection).declare()
        simple = connection.SimpleQueue(queue)
        try:
            yield EventQueue(simple)
        finally:
            simple.close()


def team_context(agency_id=None, permissions=frozenset(), principal_id="u-1") -> Context:
    """A team member's call context for domain tests: a fresh agency unless one is named."""
    return Context(
        agency_id=str(agency_id or uuid.uuid4()),
        principal_id=principal_id,
        kind="user",
        permissions=frozenset(permissions),
    )


@contextlib.contextmanager
def running_localstripe(state_dir: Path) -> Iterator[str]:
    """localstripe (`python -m deploy.localstripe`) on a free port, its store in `state_dir`
    (not the machine-wide one), from scratch; its base address while the block runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    state = str(Path(state_dir) / "store.pickle")
    command = [sys.executable, "-m", "deploy.localstripe", "--port", str(port), "--from-scratch"]
    process = subprocess.Popen(
        [*command, "--state", state],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{base}/v1/customers", auth=("sk_test_probe", ""), timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def signed_up_owner(identity, agency_name: str = "Acme") -> dict:
    """A new agency through identity's `signup` RPC (`identity.signup(ctx, ...)`, a proxy of
    the running service); its owner's context as the gateway would send it."""
    email = f"owner-{uuid.uuid4().hex[:12]}@agency.test"
    principal = identity.signup(
        {"agency_id": None}, agency_name, "Olive Owner", email, "correct-horse-battery"
    )["principal"]
    return {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": principal["kind"],
        "permissions": principal["permissions"],
        "request_id": "test",
    }


def png_bytes(width: int = 8, height: int = 8, rgb: tuple[int, int, int] = (30, 120, 220)) -> bytes:
    """A valid PNG image of one colour, built with zlib (no imaging library needed)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


def png() -> str:
    """A 2x2 PNG, base64, as identity's logo upload (and every image over RPC) takes it."""
    return base64.b64encode(png_bytes(2, 2, (0x10, 0x20, 0x30))).decode()
