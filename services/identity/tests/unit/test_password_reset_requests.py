"""Forgotten-password requests: the request path does the same work for every address, and the
reset link is made afterwards, only for an active account under its hourly limit."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from identity import credentials, users
from identity.models import OneTimeToken, PasswordResetRequest
from kit.context import Context
from kit.tables import OutboxEvent

ANON = Context(agency_id=None, request_id="req-1")


@pytest.fixture
def statements(session):
    """The SQL statements the session sends (parameters aside), in order."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_a_reset_request_sends_the_same_statements_whether_or_not_the_account_exists(
    call, owner, add_user, statements
):
    _, user = add_user("mia@acme.test")
    call(users.deactivate_user, owner, user["id"])
    per_address = {}
    for address in ("owner@acme.test", "nobody@acme.test", "mia@acme.test", "not an address"):
        statements.clear()
        call(credentials.request_password_reset, ANON, address)
        per_address[address] = list(statements)
    existing = per_address.pop("owner@acme.test")
    assert existing and all(other == existing for other in per_address.values())
    assert not any("users" in statement for statement in existing)  # nothing is looked up


def test_requests_become_reset_links_only_for_active_accounts(call, session, owner, add_user):
    _, user = add_user("mia@acme.test")
    call(users.deactivate_user, owner, user["id"])
    for address in ("OWNER@acme.test ", "nobody@acme.test", "mia@acme.test"):
        call(credentials.request_password_reset, ANON, address)

    assert call(credentials.send_requested_resets) == 3

    events = session.scalars(
        select(OutboxEvent).where(OutboxEvent.event_type == "password_reset_requested")
    ).all()
    assert [e.payload["email"] for e in events] == ["owner@acme.test"]
    assert events[0].payload["request_id"] == "req-1"  # traced back to the asker
    assert events[0].payload["agency_id"] == owner.agency_id
    assert session.scalars(select(PasswordResetRequest)).all() == []  # handled requests go
    assert call(credentials.send_requested_resets) == 0


def test_past_the_hourly_limit_requests_make_no_more_links(call, session, owner):
    for _ in range(credentials.MAX_RESETS_PER_HOUR + 2):
        call(credentials.request_password_reset, ANON, "owner@acme.test")
        call(credentials.send_requested_resets)
    tokens = session.scalars(select(OneTimeToken)).all()
    assert len(tokens) == credentials.MAX_RESETS_PER_HOUR


def test_a_portal_contact_request_looks_for_a_portal_login_only(call, session, owner):
    call(credentials.request_password_reset, ANON, "owner@acme.test", "contact")
    call(credentials.send_requested_resets)
    assert session.scalars(select(OneTimeToken)).all() == []
