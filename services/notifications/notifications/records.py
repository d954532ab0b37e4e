"""What the service reports about its work: the e-mails it sent (failures: kit.failed_events)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.errors import ValidationError
from notifications.models import SentEmail

MAX_LIMIT = 500


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
