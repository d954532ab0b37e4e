"""Web sessions: an opaque token per login, kept as its sha256. A session ends after
`session_idle` without use, and `session_max_age` after its login however much it is used, so a
stolen session token cannot be kept alive for ever (ASVS V3.3.1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from identity import principals
from identity.models import LoginSession
from identity.settings import Settings
from identity.tokens import new_token
from kit.context import Context
from kit.db import utcnow
from kit.errors import Unauthenticated
from kit.ids import hash_token

# Sliding the expiry on every request would write on every page view; once a minute will do.
TOUCH_EVERY = timedelta(minutes=1)

ENDED = "Your session has ended; please log in again."


def expiry(created_at: datetime, last_seen_at: datetime, settings: Settings) -> datetime:
    """When a session ends unless used again: idle expiry, capped at its maximum age."""
    return min(last_seen_at + settings.session_idle, created_at + settings.session_max_age)


def start_session(
    session: Session,
    login: principals.Login,
    ip: str | None = None,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> str:
    """Open a session for `login`; returns the raw token (the only time it exists)."""
    now = now or utcnow()
    token = new_token()
    session.add(
        LoginSession(
            agency_id=login.agency_id,
            token_hash=hash_token(token),
            kind=principals.kind_of(login),
            principal_id=login.id,
            created_at=now,
            last_seen_at=now,
            expires_at=expiry(now, now, settings),
            ip=str(ip)[:64] if ip else None,
        )
    )
    return token


def authenticate_session(
    session: Session,
    ctx: Context,
    token: str,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> dict:
    """The principal of a live session; Unauthenticated for an unknown, expired or dead one."""
    now = now or utcnow()
    if not isinstance(token, str) or not token:
        raise Unauthenticated(ENDED)
    row = session.scalar(select(LoginSession).where(LoginSession.token_hash == hash_token(token)))
    if row is None:
        raise Unauthenticated(ENDED)
    # The maximum age is checked on its own too: it may have been shortened since the login.
    if row.expires_at <= now or row.created_at + settings.session_max_age <= now:
        raise Unauthenticated(ENDED)
    found = principals.active_principal(session, row.kind, row.principal_id)
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        row.expires_at = expiry(row.created_at, now, settings)
    return found


def end_session(session: Session, ctx: Context, token: str) -> None:
    """Log out: the token stops working. Ending an unknown token is not an error."""
    if isinstance(token, str) and token:
        session.execute(delete(LoginSession).where(LoginSession.token_hash == hash_token(token)))


def end_all_sessions(session: Session, login: principals.Login) -> int:
    """End every session of `login` (password reset, deactivation); returns how many."""
    result = session.execute(
        delete(LoginSession).where(
            LoginSession.kind == principals.kind_of(login),
            LoginSession.principal_id == login.id,
        )
    )
    return result.rowcount
