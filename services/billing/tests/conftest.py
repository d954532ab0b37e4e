"""Fixtures of the billing service's tests: a real PostgreSQL test database, emptied per test,
and team contexts. Databases are real; only unit tests of pure functions need neither."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.tables import OutboxEvent
from kit.testing import drop_database, fresh_database, truncate_all

BILLING_PERMISSIONS = frozenset(
    {
        permissions.MANAGE_SERVICES,
        permissions.VIEW_BILLING,
        permissions.MANAGE_BILLING,
        permissions.VIEW_CLIENTS,
    }
)


@pytest.fixture(scope="session")
def db_url():
    """`agency_billing_test`, suffixed with this process id: several pytest runs share this
    machine, and a second run's DROP DATABASE would cut the first's."""
    url = fresh_database("billing", suffix=f"_test_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_url, engine):
    truncate_all(db_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session


def team(agency_id=None, permissions=BILLING_PERMISSIONS, principal_id="u-1") -> Context:
    return Context(
        agency_id=str(agency_id or uuid.uuid4()),
        principal_id=principal_id,
        kind="user",
        permissions=frozenset(permissions),
    )


@pytest.fixture
def ctx():
    return team()


@pytest.fixture
def make_ctx():
    """Build a team context: make_ctx(agency_id=None, permissions=..., principal_id="u-1")."""
    return team


def events(session, event_type=None) -> list[dict]:
    rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)).all()
    return [r.payload for r in rows if event_type in (None, r.event_type)]


@pytest.fixture
def outbox():
    """outbox(session, event_type=None) -> payloads recorded so far."""
    return events
