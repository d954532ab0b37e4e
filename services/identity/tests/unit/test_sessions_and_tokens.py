"""Session and API tokens are random, stored only as sha256, and stop working when they should."""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import api_tokens, housekeeping, logins, sessions, tokens
from identity.models import ApiToken, LoginFailure, LoginSession
from kit.context import Context
from kit.db import utcnow
from kit.errors import Unauthenticated
from kit.ids import hash_token

ANONYMOUS = Context(agency_id=None)  # who calls authenticate: nobody signed in yet


def test_token_hash_is_the_hex_sha256_of_the_token():
    token = tokens.new_token()
    assert hash_token(token) == hashlib.sha256(token.encode()).hexdigest()
    assert len(token) >= 43 and tokens.new_token() != token


def test_sessions_are_stored_as_hashes_only(session, signup):
    _, result = signup()
    stored = session.scalars(select(LoginSession.token_hash)).all()
    assert stored == [hash_token(result["session_token"])]


def test_api_tokens_are_stored_as_hashes_only_and_shown_once(call, session, owner):
    created = call(api_tokens.create_api_token, owner, "CI")
    assert created["token"].startswith(tokens.API_TOKEN_PREFIX)
    row = session.scalar(select(ApiToken))
    assert row.token_hash == hash_token(created["token"])
    listed = call(api_tokens.list_api_tokens, owner)
    assert [set(t) for t in listed] == [{"id", "name", "created_at", "last_used_at"}]


def test_session_lifetimes_default_to_fourteen_idle_and_thirty_days_in_all(settings):
    assert settings.session_idle == timedelta(days=14)
    assert settings.session_max_age == timedelta(days=30)


def test_a_session_ends_after_fourteen_idle_days(call, signup, settings):
    _, result = signup()
    token, now = result["session_token"], utcnow()
    assert call(
        sessions.authenticate_session, ANONYMOUS, token, now + timedelta(days=13), settings=settings
    )
    # Use moved the expiry along: 13 more idle days are still fine (day 26)...
    assert call(
        sessions.authenticate_session, ANONYMOUS, token, now + timedelta(days=26), settings=settings
    )
    # ...but 14 idle days are not, although the session is younger than its maximum age.
    with pytest.raises(Unauthenticated):
        call(
            sessions.authenticate_session,
            ANONYMOUS,
            token,
            now + timedelta(days=40),
            settings=settings,
        )


def test_a_session_in_daily_use_still_ends_thirty_days_after_the_login(call, signup, settings):
    _, result = signup()
    token, now = result["session_token"], utcnow()
    for day in range(1, 30):
        assert call(
            sessions.authenticate_session,
            ANONYMOUS,
            token,
            now + timedelta(days=day),
            settings=settings,
        )
    with pytest.raises(Unauthenticated):
        call(
            sessions.authenticate_session,
            ANONYMOUS,
            token,
            now + timedelta(days=30),
            settings=settings,
        )


def test_the_idle_expiry_never_passes_the_maximum_age(call, session, signup, settings):
    _, result = signup()
    token, now = result["session_token"], utcnow()
    for day in (10, 20):
        call(
            sessions.authenticate_session,
            ANONYMOUS,
            token,
            now + timedelta(days=day),
            settings=settings,
        )
    row = session.scalar(select(LoginSession))
    assert row.expires_at == row.created_at + timedelta(days=30)  # not day 20 + 14


def test_a_shortened_maximum_age_ends_sessions_already_open(call, signup, settings):
    _, result = signup()
    token, now = result["session_token"], utcnow()
    shorter = dataclasses.replace(settings, session_max_age=timedelta(days=7))
    assert call(
        sessions.authenticate_session, ANONYMOUS, token, now + timedelta(days=6), settings=settings
    )
    with pytest.raises(Unauthenticated):
        call(
            sessions.authenticate_session,
            ANONYMOUS,
            token,
            now + timedelta(days=8),
            settings=shorter,
        )


def test_a_revoked_api_token_stops_working(call, owner):
    created = call(api_tokens.create_api_token, owner, "CI")
    assert (
        call(api_tokens.authenticate_api_token, ANONYMOUS, created["token"])["email"]
        == "owner@acme.test"
    )
    call(api_tokens.revoke_api_token, owner, created["id"])
    with pytest.raises(Unauthenticated):
        call(api_tokens.authenticate_api_token, ANONYMOUS, created["token"])
    assert call(api_tokens.list_api_tokens, owner) == []


def test_housekeeping_deletes_expired_sessions_and_old_failures_only(
    call, session, signup, settings
):
    signup()
    anonymous = Context(None)
    call(
        logins.login,
        anonymous,
        "nobody@acme.test",
        "wrong-password-1",
        "192.0.2.50",
        settings=settings,
    )
    later = utcnow() + timedelta(days=15)
    call(
        logins.login,
        anonymous,
        "owner@acme.test",
        "wrong-password-1",
        "192.0.2.1",
        now=later,
        settings=settings,
    )

    purged = call(housekeeping.purge_expired, now=later + timedelta(seconds=1), settings=settings)

    # A failure is counted three ways: per account and address, per address, per account.
    assert purged == {
        "sessions": 1,
        "pending_signups": 0,
        "one_time_tokens": 0,
        "login_failures": 3,
    }
    assert session.scalars(select(LoginSession)).all() == []
    assert len(session.scalars(select(LoginFailure)).all()) == 3  # the recent failure's
