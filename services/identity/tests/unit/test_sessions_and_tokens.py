"""Session and API tokens are random, stored only as sha256, and stop working when they should."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import api_tokens, housekeeping, logins, sessions, tokens
from identity.models import ApiToken, LoginFailure, LoginSession
from kit.context import Context
from kit.db import utcnow
from kit.errors import Unauthenticated


def test_token_hash_is_the_hex_sha256_of_the_token():
    token = tokens.new_token()
    assert tokens.hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43 and tokens.new_token() != token


def test_sessions_are_stored_as_hashes_only(session, signup):
    _, result = signup()
    stored = session.scalars(select(LoginSession.token_hash)).all()
    assert stored == [tokens.hash_token(result["session_token"])]


def test_api_tokens_are_stored_as_hashes_only_and_shown_once(call, session, owner):
    created = call(api_tokens.create_api_token, owner, "CI")
    assert created["token"].startswith(tokens.API_TOKEN_PREFIX)
    row = session.scalar(select(ApiToken))
    assert row.token_hash == tokens.hash_token(created["token"])
    listed = call(api_tokens.list_api_tokens, owner)
    assert [set(t) for t in listed] == [{"id", "name", "created_at", "last_used_at"}]


def test_a_session_ends_after_fourteen_idle_days(call, signup):
    _, result = signup()
    token, now = result["session_token"], utcnow()
    assert call(sessions.authenticate_session, token, now + timedelta(days=13))
    # Use moved the expiry along: 13 more idle days are still fine, 15 are not.
    assert call(sessions.authenticate_session, token, now + timedelta(days=26))
    with pytest.raises(Unauthenticated):
        call(sessions.authenticate_session, token, now + timedelta(days=41))


def test_a_revoked_api_token_stops_working(call, owner):
    created = call(api_tokens.create_api_token, owner, "CI")
    assert call(api_tokens.authenticate_api_token, created["token"])["email"] == "owner@acme.test"
    call(api_tokens.revoke_api_token, owner, created["id"])
    with pytest.raises(Unauthenticated):
        call(api_tokens.authenticate_api_token, created["token"])
    assert call(api_tokens.list_api_tokens, owner) == []


def test_housekeeping_deletes_expired_sessions_and_old_failures_only(call, session, signup):
    signup()
    anonymous = Context(None)
    call(logins.login, anonymous, "nobody@acme.test", "wrong-password-1", "192.0.2.50")
    later = utcnow() + timedelta(days=15)
    call(logins.login, anonymous, "owner@acme.test", "wrong-password-1", "192.0.2.1", now=later)

    purged = call(housekeeping.purge_expired, now=later + timedelta(seconds=1))

    assert purged == {"sessions": 1, "one_time_tokens": 0, "login_failures": 2}
    assert session.scalars(select(LoginSession)).all() == []
    assert len(session.scalars(select(LoginFailure)).all()) == 2  # the recent ip + account pair
