"""Reporting beside the services whose events it reads (identity, clients, billing), each in a
nameko container on a fresh RabbitMQ vhost with its own test database, called over RPC; billing
talks to a localstripe of this test session."""

from __future__ import annotations

import os
import time

import pytest
from argon2 import PasswordHasher

from billing.service import BillingService
from clients.service import ClientsService
from identity import passwords
from identity.service import IdentityService
from kit.rpc import RpcClient
from kit.testing import (
    drop_database,
    fresh_database,
    running_localstripe,
    service_config,
    truncate_all,
)
from reporting.service import ReportingService


class Rpc:
    """service.method(*args) over RPC, with remote domain errors raised as kit errors."""

    def __init__(self, client: RpcClient, service: str):
        self.client, self.service = client, service

    def __getattr__(self, method: str):
        return lambda *a, **kw: self.client.call(self.service, method, *a, **kw)


def _database(package):
    url = fresh_database(package, suffix=f"_test_for_reporting_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def identity_db_url():
    yield from _database("identity")


@pytest.fixture(scope="session")
def clients_db_url():
    yield from _database("clients")


@pytest.fixture(scope="session")
def billing_db_url():
    yield from _database("billing")


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """localstripe for this test session, its store in a folder of its own; its base address."""
    with running_localstripe(tmp_path_factory.mktemp("localstripe")) as base:
        yield base


@pytest.fixture
def stack(
    container_factory,
    rabbit_config,
    db_url,
    identity_db_url,
    clients_db_url,
    billing_db_url,
    localstripe,
):
    """identity, clients, billing and reporting started: an object with an Rpc for each and
    the reporting config."""
    truncate_all(db_url)
    truncate_all(identity_db_url, keep=("plans",))
    truncate_all(clients_db_url)
    truncate_all(billing_db_url)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        for cls, package, url in (
            (IdentityService, "identity", identity_db_url),
            (ClientsService, "clients", clients_db_url),
            (BillingService, "billing", billing_db_url),
            (ReportingService, "reporting", db_url),
        ):
            extra = {"STRIPE_API_BASE": localstripe} if package == "billing" else {}
            container_factory(cls, service_config(package, rabbit_config, url, **extra)).start()
        config = service_config("reporting", rabbit_config, db_url)
        client = RpcClient(config, timeout=10)

        class Stack:
            identity = Rpc(client, "identity")
            clients = Rpc(client, "clients")
            billing = Rpc(client, "billing")
            reporting = Rpc(client, "reporting")
            call = client.call

        Stack.config = config
        Stack.stripe_url = localstripe
        Stack.database_urls = {
            "reporting": db_url,
            "billing": billing_db_url,
            "clients": clients_db_url,
        }
        yield Stack
        client.close()


@pytest.fixture
def eventually():
    """eventually(check, timeout=10): check()'s first truthy answer within the timeout."""

    def wait(check, timeout: float = 10.0):
        deadline = time.monotonic() + timeout
        while True:
            answer = check()
            if answer or time.monotonic() > deadline:
                return answer
            time.sleep(0.1)

    return wait
