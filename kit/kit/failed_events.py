"""What a service's event handlers failed on, for the agency's admins: list and "retry now".

Every service with reliable handlers offers the same two RPCs by inheriting `FailedEventsRpc`
(next to `event_retry = EventRetry()`); the gateway's Settings page and `/api/v1/events/failed`
ask each event-handling service by name (`EVENT_SERVICES` in the gateway's configuration).
An event belongs to the agency its payload names (`agency_id`, set by the outbox).
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, ValidationError
from kit.service import rpc
from kit.tables import FailedEvent

MAX_PER_PAGE = 100
STATUSES = ("retrying", "dead")
REDACTED = "[redacted]"
# Payload fields that say to a person what the event was about, in the order they are shown.
SUMMARY_KEYS = ("title", "client_name", "contact_name", "name", "email", "contact_email")


def _of_agency(ctx: Context):
    return FailedEvent.payload["agency_id"].astext == str(ctx.agency)


def _page_numbers(page, per_page) -> tuple[int, int]:
    try:
        page, per_page = int(page), int(per_page)
    except (TypeError, ValueError):
        raise ValidationError(
            "page and per_page must be whole numbers", {"page": "not a number"}
        ) from None
    return min(max(page, 1), 100_000), min(max(per_page, 1), MAX_PER_PAGE)


def list_failed_events(
    session: Session, ctx: Context, status: str | None = None, page=1, per_page=25
) -> dict:
    """The caller's agency's failed events (`retrying`, `dead` or both), newest failure first:
    a page `{"items","total","page","per_page"}`; never the payload (it can hold tokens)."""
    ctx.require(permissions.MANAGE_SETTINGS)
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status must be one of {', '.join(STATUSES)}", {"status": status})
    page, per_page = _page_numbers(page, per_page)
    where = [_of_agency(ctx)] + ([FailedEvent.status == status] if status else [])
    total = session.scalar(select(func.count()).select_from(FailedEvent).where(*where))
    rows = session.scalars(
        select(FailedEvent)
        .where(*where)
        .order_by(FailedEvent.updated_at.desc(), FailedEvent.event_id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return {
        "items": [failed_event_dict(row) for row in rows],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def retry_failed_event(session: Session, ctx: Context, event_id: str, handler: str) -> dict:
    """Make the caller's agency's failed (or dead) event due now; EventRetry delivers it again
    within a second. Another agency's or an unknown event is NotFound."""
    ctx.require(permissions.MANAGE_SETTINGS)
    try:
        key = (uuid.UUID(str(event_id)), str(handler))
    except ValueError:
        raise NotFound("No such failed event.") from None
    row = session.get(FailedEvent, key, with_for_update=True)
    if row is None or row.payload.get("agency_id") != str(ctx.agency):
        raise NotFound("No such failed event.")
    # A dead event gets one more try: a new failure makes it dead again (attempts are kept).
    row.status, row.next_attempt_at = "retrying", utcnow()
    session.flush()
    return failed_event_dict(row)


def failed_event_dict(row: FailedEvent) -> dict:
    """What a person needs to see: what, why, how often, when next; no payload."""
    service = row.handler.partition(".")[0]
    return {
        "event_id": str(row.event_id),
        "handler": row.handler,
        "service": service,
        "source_service": row.queue.removeprefix("evt-").split("-", 1)[0],
        "event_type": row.event_type,
        "summary": summary(row.payload),
        "error": _without_secrets(row.error, row.payload),
        "attempts": row.attempts,
        "status": row.status,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.status == "retrying" else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat(),
    }


def summary(payload: dict) -> str:
    """A short line about what the event concerns, from its person-readable fields."""
    parts = [str(payload[key]) for key in SUMMARY_KEYS if payload.get(key)]
    return ", ".join(dict.fromkeys(parts))[:200]


def _without_secrets(error: str, payload: dict) -> str:
    """The error text with any token from the payload blanked out, should one appear in it."""
    for key, value in payload.items():
        if key.endswith("token") and isinstance(value, str) and value:
            error = error.replace(value, REDACTED)
    return error


class FailedEventsRpc:
    """The RPCs every event-handling service offers (mix into the service class; it needs
    `db = Database()`): `list_failed_events` and `retry_failed_event`, manage_settings only.

    Name it through the module (`class S(failed_events.FailedEventsRpc)`): `nameko run
    <module>` takes every class with entrypoints at the top of the module for a service."""

    @rpc
    def list_failed_events(self, ctx: dict, status=None, page=1, per_page=25) -> dict:
        """A page of the caller's agency's failed events."""
        return self.db.read(list_failed_events, ctx, status, page, per_page)

    @rpc
    def retry_failed_event(self, ctx: dict, event_id: str, handler: str) -> dict:
        """Deliver a failed or dead event again now."""
        return self.db.write(retry_failed_event, ctx, event_id, handler)
