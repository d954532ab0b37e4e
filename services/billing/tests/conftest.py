"""Fixtures of the billing service's tests: a real PostgreSQL test database, emptied per test,
and team contexts. Databases are real; only unit tests of pure functions need neither."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from billing.facts.agencies import remember_agency
from billing.facts.clients import remember_client
from kit import permissions
from kit.context import Context
from kit.tables import OutboxEvent
from kit.testing import drop_database, fresh_database, team_context, truncate_all

BILLING_PERMISSIONS = frozenset(
    {
        permissions.MANAGE_SERVICES,
        permissions.VIEW_BILLING,
        permissions.MANAGE_BILLING,
        permissions.VIEW_CLIENTS,
        permissions.MANAGE_SETTINGS,
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
    return team_context(agency_id, permissions, principal_id)


@pytest.fixture
def ctx():
    return team()


@pytest.fixture
def make_ctx():
    """Build a team context: make_ctx(agency_id=None, permissions=..., principal_id="u-1")."""
    return team


def events(session, event_type=None) -> list[dict]:
    rows = session.scalars(select(OutboxEvent).order_by(OutboxEvent.created_at)).all()
    payloads = [r.payload for r in rows if event_type in (None, r.event_type)]
    session.rollback()  # leave no transaction open for the code under test
    return payloads


@pytest.fixture
def outbox():
    """outbox(session, event_type=None) -> payloads recorded so far."""
    return events


@pytest.fixture
def write(session):
    """write(fn, ctx, *args): a domain function in a committed transaction, as `db.write`."""

    def run(fn, ctx, *args, **kwargs):
        with session.begin():
            return fn(session, ctx, *args, **kwargs)

    return run


@pytest.fixture
def read(session):
    """read(fn, ctx, *args): a domain function outside any transaction of its own."""

    def run(fn, ctx, *args, **kwargs):
        try:
            return fn(session, ctx, *args, **kwargs)
        finally:
            session.rollback()

    return run


@pytest.fixture
def known_client(session):
    """known_client(ctx, name="Globex", archived=False) -> client id billing knows of."""

    def make(ctx, name="Globex", archived=False, status="active"):
        client_id = uuid.uuid4()
        with session.begin():
            remember_client(
                session, ctx.agency, client_id, name=name, status=status, archived=archived
            )
        return str(client_id)

    return make


@pytest.fixture
def agency_timezone(session):
    """agency_timezone(ctx, "Europe/Berlin"): the agency's time zone as identity said."""

    def set_zone(ctx, timezone):
        with session.begin():
            remember_agency(session, ctx.agency, timezone=timezone)

    return set_zone


@pytest.fixture
def stripe_settings():
    """Billing's settings as in development (Stripe at localstripe's address)."""
    from billing.settings import Settings

    return Settings(payment_terms_days=14, stripe_api_base="http://127.0.0.1:8420")
