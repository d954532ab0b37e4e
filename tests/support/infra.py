"""What the stack tests run on: their own `_e2e` databases, their own RabbitMQ vhost, free ports."""

from __future__ import annotations

import os
import socket
import uuid
from urllib.parse import quote

import requests

from kit.testing import fresh_database as kit_fresh_database

MANAGEMENT_URL = os.environ.get("RABBIT_MANAGEMENT_URL", "http://127.0.0.1:15672")
RABBIT_USER = os.environ.get("RABBIT_USER", "guest")
RABBIT_PASSWORD = os.environ.get("RABBIT_PASSWORD", "guest")
AMQP_HOST = os.environ.get("RABBIT_HOST", "127.0.0.1:5672")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fresh_database(package: str) -> str:
    """The service's `_e2e` database, dropped, re-created and migrated; its URL."""
    return kit_fresh_database(package, suffix="_e2e")


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
