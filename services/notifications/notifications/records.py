"""What the service reports about its work: the e-mails it sent and the events it failed on."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.errors import ValidationError
from kit.tables import FailedEvent
from notifications.models import SentEmail

MAX_LIMIT = 500
REDACTED = "[redacted]"


def list_sent(session: Session, ctx: Context, limit: int = 50) -> list[dict]:
    """The caller's agency's sent e-mails, newest first."""
    ctx.require(permissions.MANAGE_SETTINGS)
    try:
        limit = int(limit)
    except (TypeError, ValueError):
        raise ValidationError("limit must be a whole number", {"limit": "not a number"}) from None
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(
            f"limit must be between 1 and {MAX_LIMIT}", {"limit": f"1 to {MAX_LIMIT}"}
        )
    rows = session.scalars(
        select(SentEmail)
        .where(SentEmail.agency_id == ctx.agency)
        .order_by(SentEmail.sent_at.desc(), SentEmail.id)
        .limit(limit)
    )
    return [
        {
            "id": str(row.id),
            "event_id": str(row.event_id),
            "template": row.template,
            "to": row.to,
            "subject": row.subject,
            "sent_at": row.sent_at.isoformat(),
        }
        for row in rows
    ]


def list_failed(session: Session, ctx: Context, limit: int = 100) -> list[dict]:
    """Events of the caller's agency whose e-mail could not be sent yet (or ever); no payload."""
    ctx.require(permissions.MANAGE_SETTINGS)
    rows = session.scalars(
        select(FailedEvent)
        .where(FailedEvent.payload["agency_id"].astext == str(ctx.agency))
        .order_by(FailedEvent.updated_at.desc())
        .limit(min(int(limit), MAX_LIMIT))
    )
    return [
        {
            "event_id": str(row.event_id),
            "event_type": row.event_type,
            "handler": row.handler,
            "attempts": row.attempts,
            "status": row.status,
            "error": _without_secrets(row.error, row.payload),
            "next_attempt_at": row.next_attempt_at.isoformat(),
            "created_at": row.created_at.isoformat(),
            "updated_at": row.updated_at.isoformat(),
        }
        for row in rows
    ]


def _without_secrets(error: str, payload: dict) -> str:
    """The error text with any token from the payload blanked out, should one appear in it."""
    for key, value in payload.items():
        if key.endswith("token") and isinstance(value, str) and value:
            error = error.replace(value, REDACTED)
    return error
