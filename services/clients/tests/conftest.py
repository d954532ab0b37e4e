"""Fixtures of the clients service's tests: a real PostgreSQL test database, emptied per test.

The identity service is the one external collaborator the domain talks to; unit tests hand the
domain `FakeIdentity` (a plain object answering like identity's RPC methods), or, for a change
the service asks identity about before its transaction, the answers (`answers`). Databases are
real.
"""

from __future__ import annotations

import os

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from clients.companies import IdentityAnswers
from kit.context import Context
from kit.errors import Conflict, NotFound, ValidationError
from kit.tables import OutboxEvent
from kit.testing import drop_database, fresh_database, team_context, truncate_all

ALL_PERMISSIONS = frozenset(
    {
        "view_clients",
        "create_clients",
        "edit_clients",
        "delete_clients",
        "manage_client_organizations",
        "view_vault",
    }
)


class FakeIdentity:
    """Answers like identity's RPC methods: entitlements, users, agency, portal logins."""

    def __init__(self, client_limit=None, users=("u-1", "u-2")):
        self.client_limit = client_limit
        self.users = set(users)
        self.portal_logins: list[tuple] = []
        self.calls: list[tuple] = []  # the portal login changes asked for
        self.refuse: Exception | None = None  # raised by the next portal login change
        self.away: Exception | None = None  # raised by get_agency (identity not answering)

    def get_entitlements(self, ctx):
        return {"plan": "test", "client_limit": self.client_limit}

    def users_by_ids(self, ctx, user_ids):
        return [{"id": u, "name": u} for u in user_ids if u in self.users]

    def list_users(self, ctx, status=None):
        self.calls.append(("list_users",))
        return [{"id": u, "name": u, "email": f"{u}@agency.test"} for u in sorted(self.users)]

    def get_agency(self, ctx):
        if self.away is not None:
            raise self.away
        return {"id": ctx["agency_id"], "name": "Acme Agency"}

    def create_portal_login(self, ctx, contact_id, client_id, email, name, password):
        if len(password) < 8:
            raise ValidationError("Too short.", {"password": "at least 8 characters"})
        taken = [login for login in self.portal_logins if login[3].lower() == email.lower()]
        if any(login[:2] != (ctx["agency_id"], contact_id) for login in taken):
            raise Conflict(f"{email} already has a portal login.", {"email": "already has one"})
        self.portal_logins.append((ctx["agency_id"], contact_id, client_id, email))
        principal = {
            "principal_id": f"login-{contact_id}",
            "kind": "contact",
            "agency_id": ctx["agency_id"],
            "email": email,
            "client_id": client_id,
            "contact_id": contact_id,
        }
        return {"principal": principal, "session_token": f"session-{contact_id}"}

    def _change(self, *call):
        if self.refuse is not None:
            raise self.refuse
        self.calls.append(call)

    def update_portal_login(self, ctx, contact_id, email=None, name=None, client_id=None):
        self._change("update_portal_login", contact_id, email, name, client_id)
        if not any(login[1] == contact_id for login in self.portal_logins):
            raise NotFound("No such portal login.")
        self.portal_logins = [
            (*login[:3], email or login[3]) if login[1] == contact_id else login
            for login in self.portal_logins
        ]
        return {"principal_id": contact_id, "kind": "contact"}

    def check_portal_email(self, ctx, contact_id, email):
        if self.refuse is not None:
            raise self.refuse
        taken = [login for login in self.portal_logins if login[3].lower() == email.lower()]
        if any(login[:2] != (ctx["agency_id"], contact_id) for login in taken):
            raise Conflict(f"{email} already has a portal login.", {"email": "already has one"})

    def disable_portal_login(self, ctx, contact_id):
        assert ctx["kind"] == "system"  # identity lets only the platform disable one login
        self._change("disable_portal_login", contact_id)


@pytest.fixture(scope="session")
def db_url():
    """kit.testing.fresh_database's `agency_clients_test`, suffixed with this process id: several
    pytest runs share this machine, and a second run's DROP DATABASE would cut the first's."""
    url = fresh_database("clients", suffix=f"_test_{os.getpid()}")
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


@pytest.fixture
def identity():
    return FakeIdentity()


@pytest.fixture
def answers():
    """What the service asks of identity before a change of clients, as FakeIdentity answers it:
    no plan limit, the team members u-1 and u-2."""
    return IdentityAnswers(client_limit=None, team_members=frozenset({"u-1", "u-2"}))


def team(agency_id=None, permissions=ALL_PERMISSIONS, principal_id="u-1") -> Context:
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
    return [r.payload for r in rows if event_type in (None, r.event_type)]


@pytest.fixture
def outbox():
    """outbox(session, event_type=None) -> payloads recorded so far."""
    return events


@pytest.fixture
def cipher_keys():
    return [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
