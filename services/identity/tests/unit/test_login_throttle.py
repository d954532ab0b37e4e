"""Login throttling: growing delays per account and address, a slow-down (never a lock) per
address, a high cap per account that the reset link always gets past; wrong current passwords
count like failed logins. A stranger cannot lock the owner out."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from identity import credentials, logins, one_time, throttle
from identity.models import User
from kit.context import Context
from kit.db import utcnow
from kit.errors import RateLimited, Unauthenticated, ValidationError

EMAIL = "owner@acme.test"
RIGHT = "correct-horse-battery"
ANON = Context(agency_id=None)
OWNER_IP = "198.51.100.7"
STRANGER_IP = "203.0.113.9"


@pytest.fixture
def login(call, owner, settings):
    def attempt(password, email=EMAIL, ip=STRANGER_IP, now=None, settings=settings):
        return call(
            logins.login, ANON, email, password, ip, "user", now, settings=settings
        ).result()

    return attempt


def fail(login, times, start=None, step=timedelta(hours=0), **kwargs):
    """`times` wrong passwords, `step` apart from `start` (each after the previous one's wait)."""
    now = start or utcnow()
    for _ in range(times):
        with pytest.raises(Unauthenticated):
            login("wrong-password-1", now=now, **kwargs)
        now += step
    return now


def test_the_defaults(settings):
    assert settings.login_window == timedelta(minutes=15)
    assert settings.login_free_failures == 3
    assert settings.login_delay == timedelta(seconds=1)
    assert settings.login_max_delay == timedelta(minutes=15)
    assert settings.login_ip_slow_after == 100
    assert settings.login_ip_delay == timedelta(seconds=2)
    assert settings.login_max_account_failures == 500


def test_after_the_free_failures_each_wait_doubles(login):
    now = fail(login, 3, utcnow())
    for seconds in (1, 2, 4, 8, 16):
        with pytest.raises(RateLimited) as raised:
            login(RIGHT, now=now)
        assert raised.value.fields["retry_after"] == seconds
        now += timedelta(seconds=seconds)
        fail(login, 1, now)


def test_the_delay_is_capped(settings):
    assert throttle.pair_delay(2, settings) == timedelta(0)
    assert throttle.pair_delay(3, settings) == timedelta(seconds=1)
    assert throttle.pair_delay(12, settings) == timedelta(seconds=512)
    assert throttle.pair_delay(13, settings) == settings.login_max_delay
    assert throttle.pair_delay(10_000, settings) == settings.login_max_delay


def test_a_strangers_failures_do_not_slow_the_owner_from_their_own_address(login, settings):
    start = utcnow()
    fail(login, 8, start, step=timedelta(minutes=1), ip=STRANGER_IP)
    soon_after = start + timedelta(minutes=7, seconds=10)
    with pytest.raises(RateLimited):
        login(RIGHT, ip=STRANGER_IP, now=soon_after)
    answer = login(RIGHT, ip=OWNER_IP, now=soon_after)
    assert answer["principal"]["email"] == EMAIL


def test_refused_attempts_are_not_counted_and_the_wait_ends(login, settings):
    start = utcnow()
    fail(login, 3, start)
    for half_seconds in (0, 1):
        with pytest.raises(RateLimited):
            login("wrong-password-1", now=start + timedelta(milliseconds=500 * half_seconds))
    assert login(RIGHT, now=start + timedelta(seconds=1))["session_token"]


def test_a_successful_login_clears_the_back_off_from_that_address(login, settings):
    start = utcnow()
    fail(login, 3, start)
    login(RIGHT, now=start + timedelta(seconds=1))
    fail(login, 3, start + timedelta(seconds=2))
    assert login(RIGHT, now=start + timedelta(seconds=3))["session_token"]


def test_unknown_accounts_are_throttled_too(login):
    start = utcnow()
    fail(login, 3, start, email="nobody@acme.test")
    with pytest.raises(RateLimited):
        login("whatever-it-is", email="nobody@acme.test", now=start)


def test_one_address_guessing_many_accounts_is_slowed_never_locked(login, settings):
    strict = dataclasses.replace(settings, login_ip_slow_after=5)
    start = utcnow()
    for n in range(5):
        fail(login, 1, start, email=f"guess{n}@acme.test", settings=strict)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT, now=start + timedelta(seconds=1), settings=strict)
    assert raised.value.fields["retry_after"] == 1
    # Once the short delay has passed, the right password from that address works.
    assert login(RIGHT, now=start + timedelta(seconds=2), settings=strict)["session_token"]
    # Other addresses are not slowed at all.
    assert login(RIGHT, ip=OWNER_IP, now=start, settings=strict)["session_token"]


def test_past_the_account_cap_only_the_reset_link_gets_in(call, session, login, settings):
    strict = dataclasses.replace(settings, login_max_account_failures=6)
    start = utcnow()
    for n in range(6):
        fail(login, 1, start, ip=f"192.0.2.{n}", settings=strict)
    with pytest.raises(RateLimited) as raised:
        login(RIGHT, ip=OWNER_IP, now=start, settings=strict)
    assert "reset" in raised.value.message
    owner = session.query(User).filter_by(email=EMAIL).one()
    token = call(one_time.issue, owner, one_time.PASSWORD_RESET)[0]
    call(credentials.reset_password, ANON, token, "a-new-owner-password-5")
    answer = login("a-new-owner-password-5", ip=OWNER_IP, now=start, settings=strict)
    assert answer["principal"]["email"] == EMAIL


def test_wrong_email_and_wrong_password_get_the_same_message(login):
    with pytest.raises(Unauthenticated) as wrong_password:
        login("wrong-password-1")
    with pytest.raises(Unauthenticated) as wrong_email:
        login(RIGHT, email="nobody@acme.test")
    assert wrong_password.value.message == wrong_email.value.message == logins.BAD_CREDENTIALS


@pytest.fixture
def change(call, owner, settings):
    def attempt(current, new="a-fresh-long-secret", ctx=owner, ip=STRANGER_IP):
        return call(credentials.change_password, ctx, current, new, ip, settings=settings).result()

    return attempt


def test_wrong_current_passwords_are_throttled_like_logins_even_the_right_one_next(change):
    for _ in range(3):
        with pytest.raises(ValidationError):
            change("not-the-password")
    with pytest.raises(RateLimited) as raised:
        change(RIGHT)
    assert raised.value.message.startswith("Too many wrong passwords. Please wait")


def test_wrong_current_passwords_and_failed_logins_share_one_back_off(change, login):
    fail(login, 2)
    with pytest.raises(ValidationError):
        change("not-the-password")
    with pytest.raises(RateLimited):
        login(RIGHT)


def test_another_accounts_wrong_passwords_do_not_slow_the_owner(change, add_user):
    member, _ = add_user("mia@acme.test")
    for _ in range(3):
        with pytest.raises(ValidationError):
            change("not-the-password", ctx=member)
    assert change(RIGHT)["session_token"]
