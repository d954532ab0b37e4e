"""The identity service running in a nameko container on a fresh RabbitMQ vhost, called over
RPC the way the gateway calls it (kit.rpc.RpcClient: remote errors come back as kit errors)."""

from __future__ import annotations

import time

import pytest
from kombu import Connection, Queue
from nameko.standalone.events import get_event_exchange

from identity.service import IdentityService
from kit.rpc import RpcClient
from kit.testing import service_config


class Identity:
    """identity.method(*args) over RPC."""

    def __init__(self, client: RpcClient):
        self.client = client

    def __getattr__(self, method: str):
        return lambda *args, **kwargs: self.client.call("identity", method, *args, **kwargs)


@pytest.fixture
def config(db_url, rabbit_config):
    return service_config("identity", rabbit_config, db_url)


@pytest.fixture
def identity(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    client = RpcClient(config, timeout=10)
    yield Identity(client)
    client.close()


@pytest.fixture
def signup(identity, anonymous):
    """Sign an agency up over RPC; returns the signup result."""

    def make(email="owner@acme.test", agency_name="Acme", password="correct-horse-battery"):
        return identity.signup(anonymous, agency_name, "Olive Owner", email, password, "192.0.2.1")

    return make


@pytest.fixture
def owner_ctx(signup, as_principal):
    return as_principal(signup()["principal"])


@pytest.fixture
def add_user(identity, owner_ctx, as_principal, anonymous):
    """Add a user with a built-in role and log them in; returns (their ctx, login result)."""

    def make(email, role_name="Member", ctx=None, password="correct-horse-battery"):
        ctx = ctx or owner_ctx
        role = next(r for r in identity.list_roles(ctx) if r["name"] == role_name)
        identity.create_user(ctx, "Some One", email, role["id"], password=password)
        result = identity.login(anonymous, email, password, "192.0.2.2")
        return as_principal(result["principal"]), result

    return make


@pytest.fixture
def events(config):
    """A queue bound to every event on the `identity.events` exchange, from now on.
    `events.wait_for(type)` returns the payload of the next event of that type."""
    exchange = get_event_exchange("identity", config)
    with Connection(config["AMQP_URI"]) as connection:
        queue = Queue("identity-events-test", exchange=exchange, routing_key="#")
        queue(connection).declare()
        simple = connection.SimpleQueue(queue)
        yield EventQueue(simple)
        simple.close()


class EventQueue:
    def __init__(self, simple):
        self.simple = simple

    def wait_for(self, event_type: str, timeout: float = 5.0) -> dict:
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
