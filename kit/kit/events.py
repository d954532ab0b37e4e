"""Event handlers that never drop an event and never process one twice.

nameko acks an event after the handler returns even if it raised, so `reliable_handler` catches
the failure and records it in `failed_events`; `EventRetry` puts due failures back on the
handler's own queue with back-off, and after MAX_ATTEMPTS keeps them as `dead` for a person to
look at (or retry by hand: kit.failed_events). Each processed `event_id` is recorded in the
handler's transaction. An event about an agency the service has erased (kit.erasure) is
recorded as processed and not handed to the handler.

When the failure cannot be recorded either (the service's database is away), the message is
not acked: `ReliableEventHandler` waits REQUEUE_DELAY seconds, so a missing database does not
make it spin, and hands the message back to RabbitMQ, which delivers it again. Once the
database is back the event is handled. A service killed mid-handler leaves its message unacked
too: RabbitMQ delivers it to the next consumer.

A handler decorated here runs inside an open transaction on `self.db`: it must not commit.
What calls another system (an RPC, SMTP) goes in its `then` step (`reliable_handler(...,
then=fn)`): `fn(service, payload)` runs after that transaction committed, outside any
transaction, on every delivery of the event (also one already processed, so a retry finishes
what the first delivery began); the handler records in its transaction what `then` is to do,
and `then` finds there whether anything is left. It fails like the handler: recorded, retried,
dead after MAX_ATTEMPTS; the failure record goes once `then` has succeeded.
"""

from __future__ import annotations

import functools
import logging
import uuid
from datetime import timedelta

import eventlet
from nameko.events import EventHandler
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from kit.db import database_unreachable, short_reason, utcnow
from kit.erasure import is_erased
from kit.logs import reset_request_id, set_request_id
from kit.polling import PollingPublisher
from kit.queues import quorum_if_configured
from kit.tables import FailedEvent, ProcessedEvent, backoff_seconds

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
POLL_SECONDS = 0.5
REQUEUE_DELAY = 2.0


class PermanentFailure(Exception):
    """Raised by a handler for an event that can never succeed: kept as dead at once."""


class FailureNotRecorded(Exception):
    """The handler failed and its failure could not be stored: the message goes back."""


class ReliableEventHandler(EventHandler):
    """nameko's event entrypoint, but a message whose failure was not recorded is requeued
    (after REQUEUE_DELAY) instead of acked and lost; its queue a quorum queue on a cluster
    (kit.queues)."""

    def setup(self) -> None:
        super().setup()
        # Declared when the consumer connects, after every extension's setup.
        quorum_if_configured(self.queue, self.container.config)

    def handle_message_processed(self, message, result=None, exc_info=None) -> None:
        if exc_info is not None and isinstance(exc_info[1], FailureNotRecorded):
            # Only this worker waits: the others, and the consumer, go on.
            eventlet.sleep(REQUEUE_DELAY)
            self.queue_consumer.requeue_message(message)
        else:
            self.queue_consumer.ack_message(message)


def handler_queue(source_service: str, event_type: str, service_name: str, method: str) -> str:
    """The queue nameko declares for a SERVICE_POOL event handler."""
    return f"evt-{source_service}-{event_type}--{service_name}.{method}"


def reliable_handler(source_service: str, event_type: str, *, then=None, **kwargs):
    """Like nameko's `event_handler`, with de-duplication and failures kept for retry; `then`:
    a step outside the transaction (the module's docstring)."""

    def decorator(fn):
        @functools.wraps(fn)
        def wrapper(self, payload):
            handle_reliably(self, fn, source_service, event_type, payload, then=then)

        # Expected: nameko then logs no traceback; handle_reliably has logged one line.
        kwargs.setdefault("expected_exceptions", (FailureNotRecorded,))
        return ReliableEventHandler.decorator(source_service, event_type, **kwargs)(wrapper)

    return decorator


def handle_reliably(
    service, fn, source_service: str, event_type: str, payload: dict, then=None
) -> None:
    handler = f"{service.name}.{fn.__name__}"
    session: Session = service.db
    token = set_request_id(payload.get("request_id"))
    event_id = _event_id(payload)
    try:
        if event_id is None:
            # Kept under a name derived from its content, so a redelivery finds the same row.
            event_id = uuid.uuid5(uuid.NAMESPACE_OID, repr(sorted(payload.items())))
            raise PermanentFailure("event has no valid event_id")
        with session.begin():
            # Claim the event first: a concurrent copy blocks here until this transaction ends,
            # then finds the row and skips (or runs, if this one rolled back).
            claimed = session.execute(
                insert(ProcessedEvent)
                .values(event_id=event_id, handler=handler, processed_at=utcnow())
                .on_conflict_do_nothing()
                .returning(ProcessedEvent.event_id)
            ).first()
            if claimed and _about_erased_agency(session, event_type, payload):
                log.info("%s ignored %s %s: its agency was erased", handler, event_type, event_id)
            elif claimed:
                fn(service, payload)
            if then is None:
                _forget_failure(session, event_id, handler)
        if then is not None:
            then(service, payload)
            with session.begin():
                _forget_failure(session, event_id, handler)
    except Exception as exc:
        if not database_unreachable(exc):
            # The database being away is said once below, without a traceback.
            log.exception("%s failed on %s %s", handler, event_type, event_id)
        try:
            _record_failure(
                session,
                service,
                fn,
                source_service,
                event_type,
                event_id,
                payload,
                f"{type(exc).__name__}: {exc}",
                dead=isinstance(exc, PermanentFailure),
            )
        except Exception as record_exc:
            log.warning(
                "%s failed on %s %s and could not record it (%s); the event goes back to the "
                "queue in %.0f s",
                handler,
                event_type,
                event_id,
                short_reason(record_exc),
                REQUEUE_DELAY,
            )
            raise FailureNotRecorded(str(event_id)) from None
        if database_unreachable(exc):
            log.warning(
                "%s failed on %s %s (%s); kept for retry",
                handler,
                event_type,
                event_id,
                short_reason(exc),
            )
    finally:
        reset_request_id(token)


def _forget_failure(session: Session, event_id: uuid.UUID, handler: str) -> None:
    session.execute(
        delete(FailedEvent).where(FailedEvent.event_id == event_id, FailedEvent.handler == handler)
    )


def _about_erased_agency(session: Session, event_type: str, payload: dict) -> bool:
    """An event about an agency this service erased (kit.erasure's tombstone), other than the
    deletion itself: it arrived late and must not bring the agency's rows back."""
    agency_id = payload.get("agency_id")
    if not agency_id or event_type == "agency_deleted":
        return False
    return is_erased(session, agency_id)


def _event_id(payload: dict) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(payload["event_id"]))
    except (KeyError, ValueError):
        return None


def _record_failure(
    session, service, fn, source_service, event_type, event_id, payload, error, dead=False
) -> None:
    handler = f"{service.name}.{fn.__name__}"
    session.rollback()
    with session.begin():
        row = session.get(FailedEvent, (event_id, handler), with_for_update=True)
        if row is None:
            row = FailedEvent(
                event_id=event_id,
                handler=handler,
                queue=handler_queue(source_service, event_type, service.name, fn.__name__),
                event_type=event_type,
                payload=payload,
                attempts=0,
            )
            session.add(row)
        row.attempts += 1
        row.error = error[:4000]
        row.status = "dead" if dead or row.attempts >= MAX_ATTEMPTS else "retrying"
        row.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(row.attempts))


def requeue_due(session: Session, publish) -> int:
    """Put failed events that are due back on their handler's queue; returns how many."""
    rows = session.scalars(
        select(FailedEvent)
        .where(FailedEvent.status == "retrying", FailedEvent.next_attempt_at <= utcnow())
        .limit(100)
        .with_for_update(skip_locked=True)
    ).all()
    for row in rows:
        publish(row.queue, row.payload)
        # Not due again until the handler has had its chance; a new failure resets this.
        row.next_attempt_at = utcnow() + timedelta(seconds=backoff_seconds(row.attempts + 1))
    session.commit()
    return len(rows)


class EventRetry(PollingPublisher):
    """Re-delivers recorded handler failures; declare it on a service with reliable handlers."""

    interval = POLL_SECONDS

    def publish(self, queue: str, payload: dict) -> None:
        # The default exchange routes by queue name: only the failed handler sees it again.
        self.publisher.publish(payload, exchange=None, routing_key=queue)

    def poll(self, session: Session) -> bool:
        requeue_due(session, self.publish)
        return False
