"""The fault suite's fixtures: a PostgreSQL cluster and a RabbitMQ node of its own (never the
machine's shared ones), the whole system on them under the supervisor, a fresh agency per case.
The harness (traffic, faults, checks) is tests/support/faults.py."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import make_url

from deploy.stack import ROOT, SERVICES
from kit.config import load_config
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade
from tests.support.api import sign_up
from tests.support.faults import Agency, Faulty
from tests.support.private_infra import PrivatePostgres, PrivateRabbit
from tests.support.stack import running_system

LOG = ROOT / ".run" / "faults-stack.log"
# Short enough for a case to see the system through a fault and back within seconds.
SYSTEM_ENV = {"RPC_TIMEOUT": "5", "IMPORT_LEASE_SECONDS": "6"}


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
    """The whole system on the private servers, supervised (a killed program comes back)."""
    postgres, rabbit, databases = private_servers
    urls = {name: postgres.url(database) for name, database in databases.items()}
    with running_system(urls, rabbit.amqp_uri, restart=True, log=LOG, env=SYSTEM_ENV) as system:
        yield Faulty(system, postgres, rabbit, databases)


@pytest.fixture
def agency(faulty) -> Agency:
    """A fresh agency with one client, its owner signed in with an API token."""
    api = sign_up(faulty.base_url, faulty.mailbox)
    client = api.post("/clients", json={"name": "Faulty Client"}, expect=201).json()
    return Agency(api, client["id"])
