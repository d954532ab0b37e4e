"""The event outbox: `record_event` (or `record_events` for many at once) writes in the caller's
transaction; `OutboxRelay` publishes.

The relay polls the outbox in a thread of its own, publishes each event to the service's nameko
event exchange with publisher confirms, and marks it published. A failed publish is retried with
back-off and its error kept on the row; nothing is dropped.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta

from nameko.events import get_event_exchange
from sqlalchemy import bindparam, cast, column, delete, func, insert, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.orm import Session

from kit.context import Context
from kit.db import utcnow
from kit.logs import reset_request_id, set_request_id
from kit.polling import PollingPublisher
from kit.tables import OutboxEvent, backoff_seconds

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
KEEP_PUBLISHED = timedelta(days=7)
PURGE_EVERY_SECONDS = 3600
REDACTED = "[redacted]"
RESERVED_KEYS = frozenset({"event_id", "event_type", "agency_id", "request_id", "occurred_at"})
BATCH = 100


def event_payload(ctx: Context, event_type: str, data: dict) -> dict:
    """The published payload of an event: `data` plus the fields the outbox sets."""
    clash = RESERVED_KEYS & data.keys()
    if clash:
        raise ValueError(f"event data may not set {sorted(clash)}: the outbox sets them")
    return {
        **data,
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "agency_id": str(ctx.agency_id) if ctx.agency_id else None,
        "request_id": ctx.request_id,
        "occurred_at": utcnow().isoformat(),
    }


def record_event(session: Session, ctx: Context, event_type: str, data: dict) -> dict:
    """Add an event to the outbox in the session's transaction; returns the payload."""
    payload = event_payload(ctx, event_type, data)
    session.add(
        OutboxEvent(
            event_id=uuid.UUID(payload["event_id"]),
            agency_id=ctx.agency_id,
            event_type=event_type,
            payload=payload,
        )
    )
    return payload


def record_events(session: Session, ctx: Context, events: Iterable[tuple[str, dict]]) -> list[dict]:
    """Add many `(event_type, data)` events in one statement, in the session's transaction (a
    bulk import's batch); returns their payloads. Rows go in as one JSON parameter expanded by
    `jsonb_array_elements`: far cheaper to send than a parameter per row."""
    payloads = [event_payload(ctx, event_type, data) for event_type, data in events]
    if not payloads:
        return []
    rows = (
        func.jsonb_array_elements(bindparam("payloads", type_=JSONB))
        .table_valued(column("p", JSONB))
        .render_derived(with_types=False)
    )
    payload = rows.c.p
    statement = insert(OutboxEvent.__table__).from_select(
        ["event_id", "agency_id", "event_type", "payload"],
        select(
            cast(payload["event_id"].astext, UUID(as_uuid=True)),
            cast(payload["agency_id"].astext, UUID(as_uuid=True)),
            payload["event_type"].astext,
            payload,
        ),
    )
    session.execute(statement, {"payloads": payloads})
    return payloads


def redact_secrets(payload: dict) -> dict:
    """The payload without its one-time secrets: keys ending in `_token` (reset, invitation and
    set-password links). Once published, the outbox keeps no usable link."""
    return {
        key: REDACTED if key.endswith("_token") and value else value
        for key, value in payload.items()
    }


def purge_published(session: Session, older_than: timedelta = KEEP_PUBLISHED) -> int:
    """Delete events published longer ago than `older_than`; returns how many."""
    result = session.execute(
        delete(OutboxEvent).where(OutboxEvent.published_at < utcnow() - older_than)
    )
    session.commit()
    return result.rowcount


def publish_pending(session: Session, publish, limit: int = BATCH) -> int:
    """Publish due outbox rows in order; returns how many were published."""
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.next_attempt_at <= utcnow())
        .order_by(OutboxEvent.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    published = 0
    for row in rows:
        token = set_request_id(row.payload.get("request_id"))
        try:
            publish(row.event_type, row.payload)
        except Exception as exc:  # broker down, unroutable, not confirmed: keep and retry
            row.attempts += 1
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(row.attempts))
            log.warning("publishing %s %s failed: %s", row.event_type, row.event_id, exc)
            break  # keep order: later events wait for this one
        else:
            row.published_at = utcnow()
            row.payload = redact_secrets(row.payload)
            published += 1
        finally:
            reset_request_id(token)
    session.commit()
    return published


class OutboxRelay(PollingPublisher):
    """Publishes the service's outbox; declare it on a service that records events."""

    interval = POLL_SECONDS

    def setup(self) -> None:
        super().setup()
        self.exchange = get_event_exchange(self.container.service_name, self.container.config)
        self.purged_at = 0.0

    def publish(self, event_type: str, payload: dict) -> None:
        self.publisher.publish(
            payload, exchange=self.exchange, routing_key=event_type, declare=[self.exchange]
        )

    def poll(self, session: Session) -> bool:
        if time.monotonic() - self.purged_at > PURGE_EVERY_SECONDS:
            purge_published(session)
            self.purged_at = time.monotonic()
        return publish_pending(session, self.publish) == BATCH
