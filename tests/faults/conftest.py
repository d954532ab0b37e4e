"""The fault suite's fixtures: a PostgreSQL cluster and a RabbitMQ node of its own (never the
machine's shared ones), the whole system on them under the supervisor, a fresh agency per case;
and, for tests/faults/test_cluster_and_replicas.py, the system as it runs on several machines: two
processes of each service on a three-node RabbitMQ cluster with quorum queues.
The harness (traffic, faults, checks) is tests/support/faults.py."""

from __future__ import annotations

import concurrent.futures
import os
import time

import pytest
from sqlalchemy.engine import make_url

from deploy.stack import ROOT, SERVICES, Stack
from kit.config import load_config
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade
from tests.support.api import sign_up
from tests.support.faults import Agency, Faulty, ScaledOut
from tests.support.infra import free_port
from tests.support.private_infra import PrivatePostgres, PrivateRabbit, PrivateRabbitCluster
from tests.support.stack import running_system
from tests.support.stripe_proxy import StripeProxy

LOG = ROOT / ".run" / "faults-stack.log"
SCALED_LOG = ROOT / ".run" / "faults-scaled-stack.log"
# Short enough for a case to see the system through a fault and back within seconds.
# A Stripe call unanswered for 3 s is given up (the Stripe proxy holds answers longer).
SYSTEM_ENV = {"RPC_TIMEOUT": "5", "IMPORT_LEASE_SECONDS": "6", "STRIPE_TIMEOUT": "3"}
# Processes of each service: two, as on more than one machine (their work shared by the queues);
# FAULTS_REPLICAS=1 runs the suite on one of each.
REPLICAS = int(os.environ.get("FAULTS_REPLICAS", "2"))
# On the cluster: quorum queues, and the daily billing run looking every 2 s (in each process).
SCALED_ENV = {**SYSTEM_ENV, "QUORUM_QUEUES": "1", "BILLING_RUN_EVERY_SECONDS": "2"}


def migrated_databases(postgres: PrivatePostgres, suffix: str = "") -> dict[str, str]:
    """Each service's database (its usual name + `suffix`) created and migrated on `postgres`."""
    databases = {
        name: make_url(load_config(name)[DATABASE_URL_KEY]).database + suffix for name in SERVICES
    }
    for name, database in databases.items():
        upgrade(name, postgres.url(database))
    return databases


@pytest.fixture(scope="session")
def private_postgres():
    """The suite's own PostgreSQL cluster."""
    postgres = PrivatePostgres()
    try:
        postgres.start()
        yield postgres
    finally:
        postgres.stop()


@pytest.fixture(scope="session")
def private_servers(private_postgres):
    """PostgreSQL and RabbitMQ of the suite's own, each service's database migrated on it."""
    rabbit = PrivateRabbit()
    try:
        rabbit.start()
        yield private_postgres, rabbit, migrated_databases(private_postgres)
    finally:
        rabbit.stop()


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


def _agency(system, name: str) -> Agency:
    """A fresh agency with one client, its owner signed in with an API token."""
    for tries_left in (2, 1, 0):
        try:
            api = sign_up(system.base_url, system.mailbox)
            break
        except AssertionError as exc:
            # Sign-up hashes a password (argon2): on a machine busy enough it outlasts the
            # suite's short RPC_TIMEOUT and answers 503 "try again in a moment"; so we do.
            if "got 503" not in str(exc) or not tries_left:
                raise
            time.sleep(1)
    client = api.post("/clients", json={"name": name}, expect=201).json()
    return Agency(api, client["id"])


@pytest.fixture
def agency(faulty) -> Agency:
    return _agency(faulty, "Faulty Client")


@pytest.fixture(scope="module")
def scaled_out(private_postgres):
    """Two processes of each service (and one gateway) on a three-node RabbitMQ cluster of the
    suite's own, every service and the gateway given all three nodes (kombu's failover list) and
    `QUORUM_QUEUES=1`; databases of their own on the suite's PostgreSQL. Module-scoped: it is
    gone before the next module's cases run."""
    cluster = PrivateRabbitCluster(size=3)
    try:
        # The databases are migrated while the nodes boot.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            migrating = pool.submit(migrated_databases, private_postgres, "_scaled")
            cluster.start()
            databases = migrating.result()
        urls = {name: private_postgres.url(database) for name, database in databases.items()}
        with running_system(
            urls, cluster.amqp_uri, restart=True, log=SCALED_LOG, env=SCALED_ENV, replicas=2
        ) as system:
            yield ScaledOut(system, private_postgres, cluster, databases)
    finally:
        cluster.stop()


@pytest.fixture
def scaled_agency(scaled_out) -> Agency:
    """A fresh agency on the scaled-out system, with one client."""
    return _agency(scaled_out, "Scaled Client")
