"""Login throttling: failures counted per account and per IP within a sliding window whose
limits come from config.yaml; wrong current passwords count against the account too."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from identity import credentials, logins
from kit.context import Context
from kit.db import utcnow
from kit.errors import RateLimited, Unauthenticated, ValidationError

EMAIL = "owner@acme.test"
RIGHT = "correct-horse-battery"
ANON = Context(agency_id=None)


@pytest.fixture
def login(call, owner, settings):
    def attempt(password, email=EMAIL, ip="203.0.113.9", now=None, settings=settings):
        return call(
            logins.login, ANON, email, password, ip, "user", now, settings=settings
        ).result()

    return attempt


def fail(login, times, **kwargs):
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            login("wrong-password-1", **kwargs)


def test_the_default_limits_are_five_per_account_twenty_per_ip_in_fifteen_minutes(settings):
    assert settings.login_max_account_failures == 5
    assert settings.login_max_ip_failures == 20
    assert settings.login_window == timedelta(minutes=15)


def test_sixth_attempt_within_the_window_is_refused_even_with_the_right_password(login, settings):
    fail(login, settings.login_max_account_failures)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT)
    assert "15 minutes" in raised.value.message
    assert raised.value.fields["retry_after"] == 15 * 60


def test_the_wait_counts_from_the_oldest_failure_in_the_window(login, settings):
    start = utcnow()
    fail(login, settings.login_max_account_failures, now=start)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT, now=start + timedelta(minutes=11))
    assert "4 minutes" in raised.value.message


def test_login_works_again_once_the_failures_leave_the_window(login, settings):
    start = utcnow() - timedelta(minutes=16)
    fail(login, settings.login_max_account_failures, now=start)
    assert login(RIGHT)["principal"]["email"] == EMAIL


def test_refused_attempts_do_not_extend_the_lock(login, settings):
    start = utcnow()
    fail(login, settings.login_max_account_failures, now=start)
    for minute in (1, 2, 3):
        with pytest.raises(RateLimited):
            login("wrong-password-1", now=start + timedelta(minutes=minute))
    assert login(RIGHT, now=start + timedelta(minutes=15, seconds=1))["session_token"]


def test_a_successful_login_clears_the_accounts_failures(login, settings):
    fail(login, settings.login_max_account_failures - 1)
    login(RIGHT)
    fail(login, settings.login_max_account_failures - 1)
    assert login(RIGHT)["session_token"]


def test_unknown_accounts_are_throttled_too(login, settings):
    fail(login, settings.login_max_account_failures, email="nobody@acme.test")
    with pytest.raises(RateLimited):
        login("whatever-it-is", email="nobody@acme.test")


def test_one_ip_guessing_many_accounts_is_throttled(login, settings):
    for n in range(settings.login_max_ip_failures):
        fail(login, 1, email=f"guess{n}@acme.test")
    with pytest.raises(RateLimited):
        login(RIGHT)
    # The same account from another address still works: only the IP is over its limit.
    assert login(RIGHT, ip="198.51.100.7")["session_token"]


def test_the_limits_and_window_given_are_the_ones_applied(login, settings):
    strict = dataclasses.replace(
        settings,
        login_max_account_failures=2,
        login_max_ip_failures=3,
        login_window=timedelta(minutes=2),
    )
    fail(login, 2, settings=strict)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT, settings=strict)
    assert raised.value.fields["retry_after"] == 120
    # A higher IP limit (as the stack tests set, all coming from 127.0.0.1) lets more through.
    lenient = dataclasses.replace(settings, login_max_ip_failures=100)
    for n in range(30):
        fail(login, 1, email=f"guess{n}@acme.test", settings=lenient)
    assert login(RIGHT, ip="203.0.113.9", settings=lenient)["session_token"]


def test_wrong_email_and_wrong_password_get_the_same_message(login):
    with pytest.raises(Unauthenticated) as wrong_password:
        login("wrong-password-1")
    with pytest.raises(Unauthenticated) as wrong_email:
        login(RIGHT, email="nobody@acme.test")
    assert wrong_password.value.message == wrong_email.value.message == logins.BAD_CREDENTIALS


@pytest.fixture
def change(call, owner, settings):
    def attempt(current, new="a-fresh-long-secret", ctx=owner):
        return call(
            credentials.change_password, ctx, current, new, None, settings=settings
        ).result()

    return attempt


def test_wrong_current_passwords_are_throttled_per_account_even_the_right_one_next(
    change, settings
):
    for _ in range(settings.login_max_account_failures):
        with pytest.raises(ValidationError):
            change("not-the-password")
    with pytest.raises(RateLimited) as raised:
        change(RIGHT)
    assert raised.value.message.startswith("Too many wrong passwords. Please wait 15 minutes")
    assert raised.value.fields["retry_after"] > 14 * 60


def test_wrong_current_passwords_and_failed_logins_share_one_limit(change, login, settings):
    fail(login, settings.login_max_account_failures - 1)
    with pytest.raises(ValidationError):
        change("not-the-password")
    with pytest.raises(RateLimited):
        login(RIGHT)


def test_another_accounts_wrong_passwords_do_not_lock_the_owner(change, add_user, settings):
    member, _ = add_user("mia@acme.test")
    for _ in range(settings.login_max_account_failures):
        with pytest.raises(ValidationError):
            change("not-the-password", ctx=member)
    assert change(RIGHT)["session_token"]
