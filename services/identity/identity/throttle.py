"""Login throttling (ASVS V2.2.1): failed logins are counted per IP and per account; past the
limit within the window a login is refused, even with the right password, until it slides by.

A wrong current password given to change a password counts against the same account: a stolen
session gets no more guesses than the login form gives. The limits come from `Settings`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from identity.models import LoginFailure
from identity.settings import Settings
from kit.db import utcnow
from kit.errors import DomainError, RateLimited

TOO_MANY_LOGINS = "Too many failed logins."
TOO_MANY_PASSWORDS = "Too many wrong passwords."


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
    return f"{kind}:{(email or '').strip().lower()}"[:300]


def _scopes(ip: str | None, account: str, settings: Settings) -> list[tuple[str, str, int]]:
    scopes = [("account", account, settings.login_max_account_failures)]
    if ip:
        scopes.append(("ip", str(ip)[:300], settings.login_max_ip_failures))
    return scopes


def check(
    session: Session,
    ip: str | None,
    account: str,
    now: datetime | None = None,
    *,
    settings: Settings,
    refusal: str = TOO_MANY_LOGINS,
) -> None:
    """Raise RateLimited, saying how long to wait, when the IP or the account is over its limit.

    Refused attempts are not counted themselves, so an attacker cannot extend the lock forever.
    """
    now = now or utcnow()
    window = settings.login_window
    for scope, key, limit in _scopes(ip, account, settings):
        times = session.scalars(
            select(LoginFailure.failed_at)
            .where(
                LoginFailure.scope == scope,
                LoginFailure.key == key,
                LoginFailure.failed_at > now - window,
            )
            .order_by(LoginFailure.failed_at)
        ).all()
        if len(times) >= limit:
            # Allowed again once enough of the oldest failures have left the window.
            retry_at = times[len(times) - limit] + window
            seconds = max(1, math.ceil((retry_at - now).total_seconds()))
            minutes = math.ceil(seconds / 60)
            raise RateLimited(
                f"{refusal} Please wait {minutes} minute{'s' if minutes != 1 else ''} "
                "and try again.",
                {"retry_after": seconds},
            )


def record_failure(
    session: Session,
    ip: str | None,
    account: str,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> None:
    """Count one failure against the IP (if given) and the account; forget those past the window."""
    now = now or utcnow()
    for scope, key, _ in _scopes(ip, account, settings):
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == scope,
                LoginFailure.key == key,
                LoginFailure.failed_at <= now - settings.login_window,
            )
        )
        session.add(LoginFailure(scope=scope, key=key, failed_at=now))


def clear_account(session: Session, account: str) -> None:
    """A successful login wipes the account's failures (not the IP's)."""
    session.execute(
        delete(LoginFailure).where(LoginFailure.scope == "account", LoginFailure.key == account)
    )
