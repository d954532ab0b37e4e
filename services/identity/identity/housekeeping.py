"""Deleting what can no longer be used: expired sessions, one-time tokens and signup links,
old failures."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.orm import Session

from identity.models import LoginFailure, LoginSession, OneTimeToken, PendingSignup
from identity.settings import Settings
from identity.signups import LINK_VALID
from kit.db import utcnow

# Used and expired one-time tokens are kept a while so "this link was already used" stays
# explainable in the logs of the day.
KEEP_SPENT_TOKENS = timedelta(days=7)


def purge_expired(
    session: Session, now: datetime | None = None, *, settings: Settings
) -> dict[str, int]:
    """Delete dead rows; returns how many of each kind went."""
    now = now or utcnow()
    sessions = session.execute(delete(LoginSession).where(LoginSession.expires_at <= now))
    tokens = session.execute(
        delete(OneTimeToken).where(
            or_(
                OneTimeToken.expires_at <= now - KEEP_SPENT_TOKENS,
                OneTimeToken.used_at <= now - KEEP_SPENT_TOKENS,
            )
        )
    )
    failures = session.execute(
        delete(LoginFailure).where(LoginFailure.failed_at <= now - settings.login_window)
    )
    signups = session.execute(
        delete(PendingSignup).where(PendingSignup.created_at <= now - LINK_VALID)
    )
    return {
        "sessions": sessions.rowcount,
        "pending_signups": signups.rowcount,
        "one_time_tokens": tokens.rowcount,
        "login_failures": failures.rowcount,
    }
