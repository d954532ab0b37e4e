"""Login throttling (ASVS V2.2.1): failed logins are counted per IP and per account; past the
limit within the window a login is refused, even with the right password, until it slides by."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from identity.models import LoginFailure
from kit.db import utcnow
from kit.errors import RateLimited

WINDOW = timedelta(minutes=15)
MAX_ACCOUNT_FAILURES = 5  # the sixth attempt within the window is refused
MAX_IP_FAILURES = 20


def account_key(kind: str, email: str) -> str:
    return f"{kind}:{(email or '').strip().lower()}"[:300]


def _scopes(ip: str | None, account: str) -> list[tuple[str, str, int]]:
    scopes = [("account", account, MAX_ACCOUNT_FAILURES)]
    if ip:
        scopes.append(("ip", str(ip)[:300], MAX_IP_FAILURES))
    return scopes


def check(session: Session, ip: str | None, account: str, now: datetime | None = None) -> None:
    """Raise RateLimited, saying how long to wait, when the IP or the account is over its limit.

    Refused attempts are not counted themselves, so an attacker cannot extend the lock forever.
    """
    now = now or utcnow()
    for scope, key, limit in _scopes(ip, account):
        times = session.scalars(
            select(LoginFailure.failed_at)
            .where(
                LoginFailure.scope == scope,
                LoginFailure.key == key,
                LoginFailure.failed_at > now - WINDOW,
            )
            .order_by(LoginFailure.failed_at)
        ).all()
        if len(times) >= limit:
            # Allowed again once enough of the oldest failures have left the window.
            retry_at = times[len(times) - limit] + WINDOW
            seconds = max(1, math.ceil((retry_at - now).total_seconds()))
            minutes = math.ceil(seconds / 60)
            raise RateLimited(
                "Too many failed logins. Please wait "
                f"{minutes} minute{'s' if minutes != 1 else ''} and try again.",
                {"retry_after": seconds},
            )


def record_failure(
    session: Session, ip: str | None, account: str, now: datetime | None = None
) -> None:
    """Count one failed login against the IP and the account; forget failures past the window."""
    now = now or utcnow()
    for scope, key, _ in _scopes(ip, account):
        session.execute(
            delete(LoginFailure).where(
                LoginFailure.scope == scope,
                LoginFailure.key == key,
                LoginFailure.failed_at <= now - WINDOW,
            )
        )
        session.add(LoginFailure(scope=scope, key=key, failed_at=now))


def clear_account(session: Session, account: str) -> None:
    """A successful login wipes the account's failures (not the IP's)."""
    session.execute(
        delete(LoginFailure).where(LoginFailure.scope == "account", LoginFailure.key == account)
    )
