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
from collections.abc import Callable, Iterable
from datetime import timedelta

from amqp import Message as AmqpMessage
from amqp import spec
from kombu import Connection
from kombu.utils.json import dumps as json_dumps
from nameko.constants import AMQP_URI_CONFIG_KEY, PERSISTENT
from nameko.events import get_event_exchange
from sqlalchemy import bindparam, cast, column, delete, func, insert, select, update
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
# Seconds the relay waits for the broker to confirm a batch before trying it again later.
CONFIRM_TIMEOUT = 10.0
# `publish_many(events)`: publishes `(event_type, payload)` events in order; (how many of the
# first were confirmed, why the next one was not or None).
PublishMany = Callable[[list[tuple[str, dict]]], tuple[int, Exception | None]]


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


def one_by_one(publish: Callable[[str, dict], object]) -> PublishMany:
    """A `publish_many` from a `publish(event_type, payload)` of one event at a time."""

    def publish_many(events: list[tuple[str, dict]]) -> tuple[int, Exception | None]:
        for sent, (event_type, payload) in enumerate(events):
            token = set_request_id(payload.get("request_id"))
            try:
                publish(event_type, payload)
            except Exception as exc:  # broker down, unroutable, not confirmed
                return sent, exc
            finally:
                reset_request_id(token)
        return len(events), None

    return publish_many


def publish_pending(
    session: Session,
    publish: Callable[[str, dict], object] | None = None,
    limit: int = BATCH,
    *,
    publish_many: PublishMany | None = None,
) -> int:
    """Publish due outbox rows in order; returns how many were published.

    `publish(event_type, payload)` publishes one event; or `publish_many(events)` publishes a
    batch in order and says how many of the first were confirmed (and why the next was not)."""
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.published_at.is_(None), OutboxEvent.next_attempt_at <= utcnow())
        .order_by(OutboxEvent.created_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    if not rows:
        session.commit()
        return 0
    publish_many = publish_many or one_by_one(publish)
    sent, error = publish_many([(row.event_type, row.payload) for row in rows])
    now = utcnow()
    # One UPDATE for the batch, not one a row (the commit below expires the loaded rows); a
    # payload is written back only when redacted.
    published = [row.event_id for row in rows[:sent]]
    if published:
        session.execute(
            update(OutboxEvent)
            .where(OutboxEvent.event_id.in_(published))
            .values(published_at=now)
            .execution_options(synchronize_session=False)
        )
    for row in rows[:sent]:
        redacted = redact_secrets(row.payload)
        if redacted != row.payload:
            row.payload = redacted
    if error is not None and sent < len(rows):  # keep order: later events wait for this one
        row = rows[sent]
        row.attempts += 1
        row.last_error = f"{type(error).__name__}: {error}"[:2000]
        row.next_attempt_at = now + timedelta(seconds=backoff_seconds(row.attempts))
        log.warning("publishing %s %s failed: %s", row.event_type, row.event_id, error)
    session.commit()
    return sent


class ConfirmedBatches:
    """`publish_many` on one kept channel: a batch's events are all sent, then their publisher
    confirms awaited together (one round trip a batch, not one an event); the first event not
    confirmed and those after it are kept for the next pass (consumers drop a repeat by its
    event id). A broken connection is dropped and opened afresh on the next batch."""

    def __init__(self, amqp_uri: str, exchange, timeout: float = CONFIRM_TIMEOUT):
        self.amqp_uri, self.exchange, self.timeout = amqp_uri, exchange, timeout
        self.connection = self.channel = None
        self.tag = self.acked = 0
        self.nacked: int | None = None

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self.acked = max(self.acked, tag)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self.nacked = tag if self.nacked is None else min(self.nacked, tag)

    def _open(self):
        if self.channel is None:
            connection = Connection(self.amqp_uri)
            try:
                channel = connection.channel()
                self.exchange(channel).declare()
                channel.confirm_select()
            except BaseException:
                connection.release()
                raise
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
            self.connection, self.channel, self.tag, self.acked = connection, channel, 0, 0
        return self.channel

    def close(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already gone
                log.debug("closing the outbox channel failed", exc_info=True)

    def __call__(self, events: list[tuple[str, dict]]) -> tuple[int, Exception | None]:
        self.nacked, first = None, self.tag + 1
        try:
            channel = self._open()
            first = self.tag + 1
            for event_type, payload in events:
                message = AmqpMessage(
                    json_dumps(payload),
                    content_type="application/json",
                    content_encoding="utf-8",
                    delivery_mode=PERSISTENT,
                )
                channel.basic_publish(message, exchange=self.exchange.name, routing_key=event_type)
                self.tag += 1
            while self.acked < self.tag and self.nacked is None:
                channel.wait([spec.Basic.Ack, spec.Basic.Nack], timeout=self.timeout)
        except Exception as exc:  # broker down, connection cut, no confirm in time
            self.close()
            return max(0, self.acked - first + 1), exc
        if self.nacked is not None:
            # A fresh channel for the next batch: on a cluster, a channel refused while a queue's
            # node was being lost was seen to go on being refused for 15 s and more.
            self.close()
            return max(0, self.nacked - first), ConnectionError("the broker refused an event")
        return len(events), None


class OutboxRelay(PollingPublisher):
    """Publishes the service's outbox; declare it on a service that records events."""

    interval = POLL_SECONDS

    def setup(self) -> None:
        super().setup()
        self.exchange = get_event_exchange(self.container.service_name, self.container.config)
        self.batches = ConfirmedBatches(self.container.config[AMQP_URI_CONFIG_KEY], self.exchange)
        self.purged_at = 0.0

    def stop(self) -> None:
        super().stop()
        self.batches.close()

    def publish(self, event_type: str, payload: dict) -> None:
        self.publisher.publish(
            payload, exchange=self.exchange, routing_key=event_type, declare=[self.exchange]
        )

    def poll(self, session: Session) -> bool:
        if time.monotonic() - self.purged_at > PURGE_EVERY_SECONDS:
            purge_published(session)
            self.purged_at = time.monotonic()
        return publish_pending(session, publish_many=self.batches) == BATCH
