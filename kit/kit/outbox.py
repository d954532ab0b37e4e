"""The event outbox: `record_event` writes in the caller's transaction; `OutboxRelay` publishes.

The relay polls the outbox in a thread of its own, publishes each event to the service's nameko
event exchange with publisher confirms, and marks it published. A failed publish is retried with
back-off and its error kept on the row; nothing is dropped.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from nameko.events import get_event_exchange
from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.context import Context
from kit.db import utcnow
from kit.logs import reset_request_id, set_request_id
from kit.polling import PollingPublisher
from kit.tables import OutboxEvent, backoff_seconds

log = logging.getLogger(__name__)

POLL_SECONDS = 0.2
RESERVED_KEYS = frozenset({"event_id", "event_type", "agency_id", "request_id", "occurred_at"})
BATCH = 100


def record_event(session: Session, ctx: Context, event_type: str, data: dict) -> dict:
    """Add an event to the outbox in the session's transaction; returns the payload."""
    clash = RESERVED_KEYS & data.keys()
    if clash:
        raise ValueError(f"event data may not set {sorted(clash)}: the outbox sets them")
    event_id = uuid.uuid4()
    payload = {
        **data,
        "event_id": str(event_id),
        "event_type": event_type,
        "agency_id": str(ctx.agency_id) if ctx.agency_id else None,
        "request_id": ctx.request_id,
        "occurred_at": utcnow().isoformat(),
    }
    session.add(
        OutboxEvent(
            event_id=event_id,
            agency_id=ctx.agency_id,
            event_type=event_type,
            payload=payload,
        )
    )
    return payload


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

    def publish(self, event_type: str, payload: dict) -> None:
        self.publisher.publish(
            payload, exchange=self.exchange, routing_key=event_type, declare=[self.exchange]
        )

    def poll(self, session: Session) -> bool:
        return publish_pending(session, self.publish) == BATCH
