"""What the stack tests run on: their own `_e2e` databases, their own RabbitMQ vhost, free ports."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import quote

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kit.config import load_config
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade

MANAGEMENT_URL = os.environ.get("RABBIT_MANAGEMENT_URL", "http://127.0.0.1:15672")
RABBIT_USER = os.environ.get("RABBIT_USER", "guest")
RABBIT_PASSWORD = os.environ.get("RABBIT_PASSWORD", "guest")
AMQP_HOST = os.environ.get("RABBIT_HOST", "127.0.0.1:5672")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def e2e_database_url(package: str) -> str:
    """The service's configured database URL with `_e2e` appended to the database name."""
    url = make_url(load_config(package)[DATABASE_URL_KEY])
    return url.set(database=f"{url.database}_e2e").render_as_string(hide_password=False)


def fresh_database(package: str) -> str:
    """Drop and re-create the service's `_e2e` database at the latest migration; its URL."""
    url = e2e_database_url(package)
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()
    upgrade(package, url)
    return url


class RabbitVhost:
    """A vhost of its own, so a stack under test shares no queue with `make run` or another
    test run. Made and removed through the management API."""

    def __init__(self, name: str | None = None):
        self.name = name or f"e2e-{uuid.uuid4().hex[:8]}"
        self.api = requests.Session()
        self.api.auth = (RABBIT_USER, RABBIT_PASSWORD)
        self._url = f"{MANAGEMENT_URL}/api/vhosts/{quote(self.name, safe='')}"

    @property
    def amqp_uri(self) -> str:
        vhost = quote(self.name, safe="")
        return f"pyamqp://{RABBIT_USER}:{RABBIT_PASSWORD}@{AMQP_HOST}/{vhost}"

    def create(self) -> None:
        self.api.put(self._url, timeout=10).raise_for_status()
        permissions = f"{MANAGEMENT_URL}/api/permissions/{quote(self.name, safe='')}/{RABBIT_USER}"
        everything = {"configure": ".*", "write": ".*", "read": ".*"}
        self.api.put(permissions, json=everything, timeout=10).raise_for_status()

    def delete(self) -> None:
        self.api.delete(self._url, timeout=10)
