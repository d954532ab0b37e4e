"""Login throttling: failures counted per account and per IP within a sliding window."""

from __future__ import annotations

from datetime import timedelta

import pytest

from identity import logins, throttle
from kit.context import Context
from kit.db import utcnow
from kit.errors import RateLimited, Unauthenticated

EMAIL = "owner@acme.test"
RIGHT = "correct-horse-battery"
ANON = Context(agency_id=None)


@pytest.fixture
def login(call, owner):
    def attempt(password, email=EMAIL, ip="203.0.113.9", now=None):
        return call(logins.login, ANON, email, password, ip, "user", now).result()

    return attempt


def fail(login, times, **kwargs):
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            login("wrong-password-1", **kwargs)


def test_sixth_attempt_within_the_window_is_refused_even_with_the_right_password(login):
    fail(login, throttle.MAX_ACCOUNT_FAILURES)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT)
    assert "15 minutes" in raised.value.message
    assert raised.value.fields["retry_after"] == 15 * 60


def test_the_wait_counts_from_the_oldest_failure_in_the_window(login):
    start = utcnow()
    fail(login, throttle.MAX_ACCOUNT_FAILURES, now=start)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT, now=start + timedelta(minutes=11))
    assert "4 minutes" in raised.value.message


def test_login_works_again_once_the_failures_leave_the_window(login):
    start = utcnow() - timedelta(minutes=16)
    fail(login, throttle.MAX_ACCOUNT_FAILURES, now=start)
    assert login(RIGHT)["principal"]["email"] == EMAIL


def test_refused_attempts_do_not_extend_the_lock(login):
    start = utcnow()
    fail(login, throttle.MAX_ACCOUNT_FAILURES, now=start)
    for minute in (1, 2, 3):
        with pytest.raises(RateLimited):
            login("wrong-password-1", now=start + timedelta(minutes=minute))
    assert login(RIGHT, now=start + timedelta(minutes=15, seconds=1))["session_token"]


def test_a_successful_login_clears_the_accounts_failures(login):
    fail(login, throttle.MAX_ACCOUNT_FAILURES - 1)
    login(RIGHT)
    fail(login, throttle.MAX_ACCOUNT_FAILURES - 1)
    assert login(RIGHT)["session_token"]


def test_unknown_accounts_are_throttled_too(login):
    fail(login, throttle.MAX_ACCOUNT_FAILURES, email="nobody@acme.test")
    with pytest.raises(RateLimited):
        login("whatever-it-is", email="nobody@acme.test")


def test_one_ip_guessing_many_accounts_is_throttled(login):
    for n in range(throttle.MAX_IP_FAILURES):
        fail(login, 1, email=f"guess{n}@acme.test")
    with pytest.raises(RateLimited):
        login(RIGHT)
    # The same account from another address still works: only the IP is over its limit.
    assert login(RIGHT, ip="198.51.100.7")["session_token"]


def test_wrong_email_and_wrong_password_get_the_same_message(login):
    with pytest.raises(Unauthenticated) as wrong_password:
        login("wrong-password-1")
    with pytest.raises(Unauthenticated) as wrong_email:
        login(RIGHT, email="nobody@acme.test")
    assert wrong_password.value.message == wrong_email.value.message == logins.BAD_CREDENTIALS
