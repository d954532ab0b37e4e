"""Login throttling, forgotten-password resets and password changes, over RPC."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import create_engine, update

from identity.models import OneTimeToken
from identity.service import IdentityService
from kit.db import utcnow
from kit.errors import RateLimited, Unauthenticated, ValidationError
from kit.rpc import RpcClient
from kit.testing import service_config

PASSWORD = "correct-horse-battery"


def test_failures_slow_that_address_on_that_account_but_never_lock_the_owner_out(
    identity, signup, anonymous
):
    signup()
    for _ in range(3):
        with pytest.raises(Unauthenticated):
            identity.login(anonymous, "owner@acme.test", "not-the-password", "192.0.2.9")
    # Each failure was counted and committed although the call failed: the next one waits.
    with pytest.raises(RateLimited) as raised:
        identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.9")
    assert raised.value.fields["retry_after"] == 1
    # The owner, elsewhere, is not slowed by someone else's guessing.
    assert identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.10")["session_token"]


def test_reset_token_sets_a_new_password_once_and_ends_every_session(
    identity, signup, events, anonymous
):
    session_token = signup()["session_token"]
    assert identity.request_password_reset(anonymous, "OWNER@acme.test") is None
    requested = events.wait_for("password_reset_requested")
    assert requested["email"] == "owner@acme.test"
    assert requested["name"] == "Olive Owner"
    assert requested["agency_name"] == "Acme"
    assert requested["agency_id"] and requested["kind"] == "user"
    token = requested["reset_token"]

    with pytest.raises(ValidationError) as weak:
        identity.reset_password(anonymous, token, "short")
    assert "password" in weak.value.fields
    identity.reset_password(anonymous, token, "a-fresh-long-secret")  # a weak try spent nothing

    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, session_token)
    with pytest.raises(ValidationError) as reused:
        identity.reset_password(anonymous, token, "another-long-secret")
    assert "token" in reused.value.fields
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.1")
    assert identity.login(anonymous, "owner@acme.test", "a-fresh-long-secret", "192.0.2.1")
    assert events.wait_for("password_changed")["reason"] == "reset"


def test_an_expired_reset_token_is_refused(identity, signup, events, anonymous, db_url):
    signup()
    identity.request_password_reset(anonymous, "owner@acme.test")
    token = events.wait_for("password_reset_requested")["reset_token"]
    engine = create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(update(OneTimeToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    engine.dispose()
    with pytest.raises(ValidationError):
        identity.reset_password(anonymous, token, "a-fresh-long-secret")
    assert identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.1")


def test_reset_request_for_an_unknown_email_looks_the_same_and_sends_nothing(
    identity, signup, events, anonymous
):
    signup()
    assert identity.request_password_reset(anonymous, "nobody@acme.test") is None
    identity.request_password_reset(anonymous, "owner@acme.test")
    # The first reset event to arrive is the owner's: none was recorded for the unknown address.
    assert events.wait_for("password_reset_requested")["email"] == "owner@acme.test"


def test_only_the_newest_reset_token_works(identity, signup, events, anonymous):
    signup()
    identity.request_password_reset(anonymous, "owner@acme.test")
    first = events.wait_for("password_reset_requested")["reset_token"]
    identity.request_password_reset(anonymous, "owner@acme.test")
    second = events.wait_for("password_reset_requested")["reset_token"]
    with pytest.raises(ValidationError):
        identity.reset_password(anonymous, first, "a-fresh-long-secret")
    identity.reset_password(anonymous, second, "a-fresh-long-secret")


def test_change_password_needs_the_current_one_and_ends_other_sessions(
    identity, signup, as_principal, anonymous
):
    result = signup()
    ctx = as_principal(result["principal"])
    other = identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.1")["session_token"]

    with pytest.raises(ValidationError) as wrong:
        identity.change_password(ctx, "not-the-password", "a-fresh-long-secret")
    assert "current_password" in wrong.value.fields
    assert identity.authenticate_session(anonymous, other)

    fresh = identity.change_password(ctx, PASSWORD, "a-fresh-long-secret")["session_token"]
    for ended in (result["session_token"], other):
        with pytest.raises(Unauthenticated):
            identity.authenticate_session(anonymous, ended)
    assert identity.authenticate_session(anonymous, fresh)["email"] == "owner@acme.test"
    assert identity.login(anonymous, "owner@acme.test", "a-fresh-long-secret", "192.0.2.1")


def test_wrong_current_passwords_are_rate_limited_like_logins(
    identity, signup, as_principal, anonymous
):
    ctx = as_principal(signup()["principal"])
    for _ in range(3):
        with pytest.raises(ValidationError):
            identity.change_password(ctx, "not-the-password", "a-fresh-long-secret", "192.0.2.77")
    # Each wrong guess was counted and committed although the call failed: the next waits.
    with pytest.raises(RateLimited) as raised:
        identity.change_password(ctx, PASSWORD, "a-fresh-long-secret", "192.0.2.77")
    assert "Too many wrong passwords" in raised.value.message
    # They share the back-off of the login form from that address.
    with pytest.raises(RateLimited):
        identity.login(anonymous, "owner@acme.test", PASSWORD, "192.0.2.77")


def test_the_throttle_limits_come_from_the_environment_through_config_yaml(
    container_factory, db_url, rabbit_config, monkeypatch, anonymous
):
    monkeypatch.setenv("LOGIN_FREE_FAILURES", "1")
    monkeypatch.setenv("LOGIN_DELAY_SECONDS", "60")
    monkeypatch.setenv("LOGIN_IP_SLOW_AFTER", "3")
    config = service_config("identity", rabbit_config, db_url)
    container_factory(IdentityService, config).start()
    client = RpcClient(config, timeout=10)
    try:
        client.call("identity", "signup", anonymous, "Acme", "Olive", "owner@acme.test", PASSWORD)
        with pytest.raises(Unauthenticated):
            client.call("identity", "login", anonymous, "owner@acme.test", "nope", "192.0.2.3")
        with pytest.raises(RateLimited) as raised:
            client.call("identity", "login", anonymous, "owner@acme.test", PASSWORD, "192.0.2.3")
        assert raised.value.fields["retry_after"] == 60
        # Three failures from one address, on three unknown accounts: the fourth is slowed.
        for guess in ("x", "y", "z"):
            with pytest.raises(Unauthenticated):
                client.call("identity", "login", anonymous, f"{guess}@acme.test", "no", "192.0.2.9")
        with pytest.raises(RateLimited):
            client.call("identity", "login", anonymous, "w@acme.test", "no", "192.0.2.9")
    finally:
        client.close()
