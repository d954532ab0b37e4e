"""Single-use tokens sent by e-mail (password resets, invitations): kept as sha256, expiring."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity import principals
from identity.models import OneTimeToken
from identity.tokens import new_token
from kit.db import utcnow
from kit.errors import ValidationError
from kit.ids import hash_token

PASSWORD_RESET = "password_reset"
INVITATION = "invitation"

LIFETIMES = {PASSWORD_RESET: timedelta(hours=1), INVITATION: timedelta(days=7)}
INVALID = {
    PASSWORD_RESET: "This password reset link is invalid or has expired; ask for a new one.",
    INVITATION: "This invitation is invalid or has expired; ask your administrator for a new one.",
}


def issue(
    session: Session, login: principals.Login, purpose: str, now: datetime | None = None
) -> tuple[str, datetime]:
    """A new token for `login`; earlier unused ones for the same purpose stop working."""
    now = now or utcnow()
    kind = principals.kind_of(login)
    session.execute(
        update(OneTimeToken)
        .where(
            OneTimeToken.kind == kind,
            OneTimeToken.principal_id == login.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.used_at.is_(None),
        )
        .values(used_at=now)
    )
    token = new_token()
    expires_at = now + LIFETIMES[purpose]
    session.add(
        OneTimeToken(
            agency_id=login.agency_id,
            token_hash=hash_token(token),
            purpose=purpose,
            kind=kind,
            principal_id=login.id,
            created_at=now,
            expires_at=expires_at,
        )
    )
    return token, expires_at


def consume(
    session: Session, token: str, purpose: str, now: datetime | None = None
) -> principals.Login:
    """Use up a token and return whose it is; an unknown, used or expired one is refused."""
    now = now or utcnow()
    refusal = ValidationError(INVALID[purpose], {"token": INVALID[purpose]})
    if not isinstance(token, str) or not token:
        raise refusal
    row = session.scalar(
        select(OneTimeToken)
        .where(OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == purpose)
        .with_for_update()
    )
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise refusal
    login = principals.find_by_id(session, row.kind, row.principal_id)
    if login is None or login.status != principals.ACTIVE:
        raise refusal
    row.used_at = now
    return login


def recent_count(session: Session, login: principals.Login, purpose: str, since: datetime) -> int:
    rows = session.scalars(
        select(OneTimeToken.id).where(
            OneTimeToken.kind == principals.kind_of(login),
            OneTimeToken.principal_id == login.id,
            OneTimeToken.purpose == purpose,
            OneTimeToken.created_at > since,
        )
    ).all()
    return len(rows)
