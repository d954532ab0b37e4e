"""Personal API tokens of team users: shown once at creation, kept as their sha256."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from identity import principals
from identity.models import ApiToken
from identity.tokens import API_TOKEN_PREFIX, new_token
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.errors import NotFound, Unauthenticated
from kit.ids import hash_token, parse_id
from kit.validation import clean_name

# As with sessions: recording every use would write on every API request.
TOUCH_EVERY = timedelta(minutes=1)
INVALID = "This API token is not valid."


def token_dict(row: ApiToken, token: str | None = None) -> dict:
    data = {
        "id": str(row.id),
        "name": row.name,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
    }
    if token is not None:
        data["token"] = token
    return data


def create_api_token(session: Session, ctx: Context, name: str) -> dict:
    """A new token for the caller; the returned `token` is never shown again."""
    user = principals.caller(session, ctx)
    token = new_token(API_TOKEN_PREFIX)
    row = ApiToken(
        id=uuid.uuid4(),
        agency_id=user.agency_id,
        user_id=user.id,
        name=clean_name(name),
        token_hash=hash_token(token),
        created_at=utcnow(),
    )
    session.add(row)
    return token_dict(row, token)


def list_api_tokens(session: Session, ctx: Context) -> list[dict]:
    user = principals.caller(session, ctx)
    rows = session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at)
    ).all()
    return [token_dict(row) for row in rows]


def revoke_api_token(session: Session, ctx: Context, token_id) -> None:
    user = principals.caller(session, ctx)
    row = session.scalar(
        select(ApiToken).where(
            ApiToken.id == parse_id(token_id, "API token"),
            ApiToken.user_id == user.id,
            ApiToken.revoked_at.is_(None),
        )
    )
    if row is None:
        raise NotFound("No such API token.")
    row.revoked_at = utcnow()


def revoke_all_api_tokens(session: Session, login: principals.Login) -> int:
    """Revoke every live API token of `login` (account recovery, deactivation); returns how
    many. Portal logins have none."""
    if principals.kind_of(login) != TEAM:
        return 0
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == login.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def authenticate_api_token(
    session: Session, ctx: Context, token: str, now: datetime | None = None
) -> dict:
    """The principal a token acts for, while the token is live and its user active."""
    now = now or utcnow()
    if not isinstance(token, str) or not token:
        raise Unauthenticated(INVALID)
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        raise Unauthenticated(INVALID)
    found = principals.active_principal(session, "user", row.user_id)
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        row.last_used_at = now
    return found
