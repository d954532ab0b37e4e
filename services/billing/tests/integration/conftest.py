"""The billing service in a nameko container on a fresh RabbitMQ vhost and its test database,
called over RPC the way the gateway calls it."""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

import pytest
from argon2 import PasswordHasher

from billing.service import BillingService
from billing.settings import Settings
from clients.service import ClientsService
from identity import passwords
from identity.service import IdentityService
from kit.rpc import RpcClient
from kit.testing import (
    capture_events,
    drop_database,
    fresh_database,
    running_localstripe,
    service_config,
    truncate_all,
)
from tests.support.stripe_proxy import StripeProxy


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


@pytest.fixture(scope="session")
def identity_db_url():
    url = fresh_database("identity", suffix=f"_test_for_billing_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def clients_db_url():
    url = fresh_database("clients", suffix=f"_test_for_billing_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture
def neighbours(container_factory, rabbit_config, billing, identity_db_url, clients_db_url):
    """Identity and clients started beside billing: `(identity rpc, clients rpc)`."""
    truncate_all(identity_db_url, keep=("plans",))
    truncate_all(clients_db_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        container_factory(
            IdentityService, service_config("identity", rabbit_config, identity_db_url)
        ).start()
        config = service_config("clients", rabbit_config, clients_db_url)
        container_factory(ClientsService, config).start()
        client = RpcClient(config, timeout=10)
        yield Rpc(client, "identity"), Rpc(client, "clients")
        client.close()


@pytest.fixture
def eventually():
    """eventually(check, timeout=10): check()'s first truthy answer within the timeout (events
    arrive a moment after the call that caused them)."""

    def wait(check, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            answer = check()
            if answer or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)

    return wait


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe for this test session, its store in a folder of its own; its base address."""
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as base:
        yield base


@pytest.fixture
def proxy(localstripe):
    """A proxy in front of this session's localstripe (tests/support/stripe_proxy.py): it can
    hold, drop or refuse chosen requests."""
    stripe = StripeProxy(upstream_port=urlparse(localstripe).port).start()
    yield stripe
    stripe.stop()


@pytest.fixture
def settings(localstripe) -> Settings:
    """Billing's settings with Stripe at this session's localstripe."""
    return Settings(payment_terms_days=14, stripe_api_base=localstripe, stripe_timeout=5.0)
