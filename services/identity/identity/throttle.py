"""Login throttling (ASVS V2.2.1) that a stranger cannot turn into a lockout.

Failed logins are recorded three ways within a sliding window (`Settings.login_window`):

- per account AND address together: after `login_free_failures`, each further attempt from that
  address on that account waits twice as long as the one before (`login_delay` doubling, up to
  `login_max_delay`). This is what stops guessing: someone else's failures elsewhere do not slow
  the owner down.
- per address: past `login_ip_slow_after` failures (guessing many accounts), every attempt from
  it waits `login_ip_delay` after the last failure. It only slows; it never locks, so one proxy
  or office address cannot take the site down for everyone behind it.
- per account, from every address: past `login_max_account_failures` (set high: a guessing
  botnet, not a person) the account refuses logins until the window slides by. The owner can
  always get in through the e-mailed reset link, which also clears the account's failures.

A wrong current password given to change a password counts against the same account: a stolen
session gets no more guesses than the login form gives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from identity.models import LoginFailure
from identity.settings import Settings
from kit.db import utcnow
from kit.errors import DomainError, RateLimited

TOO_MANY_LOGINS = "Too many failed logins."
TOO_MANY_PASSWORDS = "Too many wrong passwords."
ACCOUNT_LOCKED = (
    "This account has had too many failed logins from many places; use the link in a password "
    "reset e-mail to get in now, or wait"
)


@dataclass
class Outcome:
    """A checked password's answer. A refusal is returned, not raised, so that the failure it
    records is committed with the transaction before the refusal is raised to the caller."""

    value: dict | None = None
    error: DomainError | None = None

    def result(self) -> dict | None:
        if self.error is not None:
            raise self.error
        return self.value


def account_key(kind: str, email: str) -> str:
    return f"{kind}:{(email or '').strip().lower()}"[:200]


def _pair_key(account: str, ip: str | None) -> str:
    return f"{account}|{str(ip or '')[:64]}"


def _keys(ip: str | None, account: str) -> list[tuple[str, str]]:
    keys = [("pair", _pair_key(account, ip)), ("account", account)]
    if ip:
        keys.append(("ip", str(ip)[:300]))
    return keys


def _failures(session: Session, scope: str, key: str, since: datetime) -> tuple[int, datetime]:
    """How many failures of `scope`/`key` since `since`, and the latest one's time."""
    count, latest = session.execute(
        select(func.count(), func.max(LoginFailure.failed_at)).where(
            LoginFailure.scope == scope, LoginFailure.key == key, LoginFailure.failed_at > since
        )
    ).one()
    return count, latest


def pair_delay(failures: int, settings: Settings) -> timedelta:
    """The wait after `failures` failures of one account from one address."""
    extra = failures - settings.login_free_failures
    if extra < 0:
        return timedelta(0)
    return min(settings.login_delay * 2 ** min(extra, 32), settings.login_max_delay)


def _refuse(message: str, now: datetime, allowed_at: datetime) -> RateLimited:
    seconds = max(1, math.ceil((allowed_at - now).total_seconds()))
    if seconds < 60:
        wait = f"{seconds} second{'s' if seconds != 1 else ''}"
    else:
        minutes = math.ceil(seconds / 60)
        wait = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return RateLimited(f"{message} Please wait {wait} and try again.", {"retry_after": seconds})


def check(
    session: Session,
    ip: str | None,
    account: str,
    now: datetime | None = None,
    *,
    settings: Settings,
    refusal: str = TOO_MANY_LOGINS,
) -> None:
    """Raise RateLimited, saying how long to wait, when this attempt comes too soon.

    Refused attempts are not counted themselves, so waiting always ends."""
    now = now or utcnow()
    since = now - settings.login_window
    count, latest = _failures(session, "pair", _pair_key(account, ip), since)
    if count and now < latest + pair_delay(count, settings):
        raise _refuse(refusal, now, latest + pair_delay(count, settings))
    if ip:
        count, latest = _failures(session, "ip", str(ip)[:300], since)
        if count >= settings.login_ip_slow_after and now < latest + settings.login_ip_delay:
            raise _refuse(refusal, now, latest + settings.login_ip_delay)
    limit = settings.login_max_account_failures
    times = session.scalars(
        select(LoginFailure.failed_at)
        .where(
            LoginFailure.scope == "account",
            LoginFailure.key == account,
            LoginFailure.failed_at > since,
        )
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    ).all()
    if len(times) >= limit:
        # Allowed again once the oldest of the last `limit` failures leaves the window.
        raise _refuse(ACCOUNT_LOCKED + ".", now, times[-1] + settings.login_window)


def record_failure(
    session: Session,
    ip: str | None,
    account: str,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> None:
    """Count one failure against the account from this address, the address and the account;
    forget theirs that are past the window."""
    now = now or utcnow()
    for scope, key in _keys(ip, account):
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == scope,
                LoginFailure.key == key,
                LoginFailure.failed_at <= now - settings.login_window,
            )
        )
        session.add(LoginFailure(scope=scope, key=key, failed_at=now))


def clear_login(session: Session, ip: str | None, account: str) -> None:
    """A successful login wipes the account's failures from this address and its count from
    every address (not the address's, nor other addresses' back-off on the account)."""
    session.execute(
        delete(LoginFailure).where(
            or_(
                (LoginFailure.scope == "pair") & (LoginFailure.key == _pair_key(account, ip)),
                (LoginFailure.scope == "account") & (LoginFailure.key == account),
            )
        )
    )


def clear_account(session: Session, account: str) -> None:
    """A password reset through the e-mailed link: every failure of the account, from every
    address, is forgotten, so its owner can always get back in."""
    session.execute(
        delete(LoginFailure).where(
            or_(
                (LoginFailure.scope == "pair")
                & LoginFailure.key.startswith(account + "|", autoescape=True),
                (LoginFailure.scope == "account") & (LoginFailure.key == account),
            )
        )
    )
