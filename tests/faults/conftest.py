"""The fault suite's fixtures: a PostgreSQL cluster and a RabbitMQ node of its own (never the
machine's shared ones), the whole system on them under the supervisor, a fresh agency per case.
The harness (traffic, faults, checks) is tests/support/faults.py."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy.engine import make_url

from deploy.stack import ROOT, SERVICES, Stack
from kit.config import load_config
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade
from tests.support.api import sign_up
from tests.support.faults import Agency, Faulty
from tests.support.infra import free_port
from tests.support.private_infra import PrivatePostgres, PrivateRabbit
from tests.support.stack import running_system
from tests.support.stripe_proxy import StripeProxy

LOG = ROOT / ".run" / "faults-stack.log"
# Short enough for a case to see the system through a fault and back within seconds.
# A Stripe call unanswered for 3 s is given up (the Stripe proxy holds answers longer).
SYSTEM_ENV = {"RPC_TIMEOUT": "5", "IMPORT_LEASE_SECONDS": "6", "STRIPE_TIMEOUT": "3"}
# Processes of each service: two, as on more than one machine (their work shared by the queues);
# FAULTS_REPLICAS=1 runs the suite on one of each.
REPLICAS = int(os.environ.get("FAULTS_REPLICAS", "2"))


@pytest.fixture(scope="session")
def private_servers():
    """PostgreSQL and RabbitMQ of the suite's own, each service's database migrated on it."""
    postgres, rabbit = PrivatePostgres(), PrivateRabbit()
    try:
        postgres.start()
        rabbit.start()
        databases = {
            name: make_url(load_config(name)[DATABASE_URL_KEY]).database for name in SERVICES
        }
        for name, database in databases.items():
            upgrade(name, postgres.url(database))
        yield postgres, rabbit, databases
    finally:
        rabbit.stop()
        postgres.stop()


@pytest.fixture(scope="session")
def faulty(private_servers):
    """The whole system on the private servers, supervised (a killed program comes back), two
    processes of each service, its Stripe calls through a proxy (tests/support/stripe_proxy.py)
    in front of localstripe."""
    postgres, rabbit, databases = private_servers
    urls = {name: postgres.url(database) for name, database in databases.items()}
    stripe = StripeProxy(upstream_port=free_port()).start()
    env = {**SYSTEM_ENV, "STRIPE_API_BASE": stripe.url}
    try:
        with running_system(
            urls,
            rabbit.amqp_uri,
            restart=True,
            log=LOG,
            env=env,
            replicas=REPLICAS,
            stripe_port=stripe.upstream_port,
        ) as system:
            _wait_every_process_started(system.stack)
            yield Faulty(system, postgres, rabbit, databases, stripe)
    finally:
        stripe.stop()


def _wait_every_process_started(stack: Stack, timeout: float = 60) -> None:
    """The system answers once one process of each service does; wait for the others too (a
    replica still starting slows the first cases' calls past RPC_TIMEOUT on a busy machine)."""
    deadline = time.monotonic() + timeout
    services = [r for r in stack.running.values() if "nameko" in r.program.argv]
    while not all(any("starting services" in line for line in r.tail) for r in services):
        assert time.monotonic() < deadline, f"not every service process started in {timeout} s"
        time.sleep(0.2)


@pytest.fixture
def agency(faulty) -> Agency:
    """A fresh agency with one client, its owner signed in with an API token."""
    for tries_left in (2, 1, 0):
        try:
            api = sign_up(faulty.base_url, faulty.mailbox)
            break
        except AssertionError as exc:
            # Sign-up hashes a password (argon2): on a machine busy enough it outlasts the
            # suite's short RPC_TIMEOUT and answers 503 "try again in a moment"; so we do.
            if "got 503" not in str(exc) or not tries_left:
                raise
            time.sleep(1)
    client = api.post("/clients", json={"name": "Faulty Client"}, expect=201).json()
    return Agency(api, client["id"])
