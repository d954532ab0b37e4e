"""The billing service in a nameko container on a fresh RabbitMQ vhost and its test database,
called over RPC the way the gateway calls it."""

from __future__ import annotations

import pytest

from billing.service import BillingService
from kit.rpc import RpcClient
from kit.testing import capture_events, service_config, truncate_all


class Rpc:
    """service.method(*args) over RPC, with remote domain errors raised as kit errors."""

    def __init__(self, client: RpcClient, service: str):
        self.client, self.service = client, service

    def __getattr__(self, method: str):
        return lambda *a, **kw: self.client.call(self.service, method, *a, **kw)


@pytest.fixture
def billing_config(rabbit_config, db_url) -> dict:
    truncate_all(db_url)
    return service_config("billing", rabbit_config, db_url)


@pytest.fixture
def billing(container_factory, billing_config):
    """The billing service started; its RPC."""
    container_factory(BillingService, billing_config).start()
    client = RpcClient(billing_config, timeout=10)
    yield Rpc(client, "billing")
    client.close()


@pytest.fixture
def events(billing, billing_config):
    """Every event on the `billing.events` exchange from now on: events.wait_for(type)."""
    with capture_events(billing_config, "billing") as queue:
        yield queue
