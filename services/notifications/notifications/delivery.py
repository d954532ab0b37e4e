"""Sending an event's e-mails and recording each one sent.

A `@mail_handler` method says which e-mails its event becomes; it may ask identity or billing
(recipients, brand, logo, an invoice's PDF). Nothing of that happens in the event's transaction
(docs/contracts.md): the handler's transaction only claims the event (kit.events) and records a
`pending_sends` row; after it committed, the handler's `then` step, outside any transaction,
finds the row, asks the other services, sends, and deletes the row. A failure there (identity
away, SMTP refused) is the event's failure: kept in failed_events and retried, and the retry,
finding the event processed, runs the step again for what is left.

Each sent e-mail is recorded in a short transaction of its own, committed right after the SMTP
server accepted it: a retry skips what the record says was already sent, so no one gets the same
e-mail twice.

Two deliveries of one event never send at the same time: the step holds a PostgreSQL advisory
lock for the event (on a connection of its own, with no transaction open; it goes with the
connection should the process die) and looks again for the row once it has it. A second copy
waits for the lock (SEND_LOCK_WAIT), then finds the row gone.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

import eventlet
from sqlalchemy import Engine, delete, exists, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.db import database_unreachable, short_reason, utcnow
from kit.events import reliable_handler
from notifications.emails import Email
from notifications.mail import SmtpMailer, compose
from notifications.models import PendingSend, SentEmail

log = logging.getLogger(__name__)

# How long a sent e-mail's record is tried while the database is away, and how often.
RECORD_PATIENCE = 20.0
RECORD_RETRY_SECONDS = 0.5
# How long a second delivery of an event waits for the first to finish sending, in seconds;
# then it fails (kept and retried like any failure).
SEND_LOCK_WAIT = 30.0


class SendInProgress(Exception):
    """Another delivery of the event is still sending its e-mails."""


def mail_handler(source_service: str, event_type: str):
    """A reliable handler (kit.events) for an event that becomes e-mails: the decorated method
    `(self, payload) -> list[Email]` runs after the event's transaction (module docstring)."""

    def decorator(emails_of: Callable[..., list[Email]]):
        def send(service, payload: dict) -> None:
            send_pending(service, emails_of, payload)

        @functools.wraps(emails_of)
        def record(service, payload: dict) -> None:
            record_pending(service.db, payload, _handler(service, emails_of))

        return reliable_handler(source_service, event_type, then=send)(record)

    return decorator


def record_pending(session: Session, payload: dict, handler: str) -> None:
    """In the handler's transaction: the event's e-mails are to be sent."""
    session.add(
        PendingSend(
            event_id=uuid.UUID(str(payload["event_id"])),
            handler=handler,
            agency_id=_uuid_or_none(payload.get("agency_id")),
        )
    )


def send_pending(service, emails_of: Callable[..., list[Email]], payload: dict) -> int:
    """Outside any transaction: send the event's e-mails if they are still pending (another
    delivery may have sent them), then forget them; returns how many were sent now."""
    session: Session = service.db
    key = (uuid.UUID(str(payload["event_id"])), _handler(service, emails_of))
    if not _is_pending(session, key):
        return 0
    with send_lock(session.get_bind(), key):
        if not _is_pending(session, key):
            return 0
        sent = deliver(session, service.mailer, payload, emails_of(service, payload))
        with session.begin():
            session.execute(
                delete(PendingSend).where(
                    PendingSend.event_id == key[0], PendingSend.handler == key[1]
                )
            )
    return sent


def _is_pending(session: Session, key: tuple[uuid.UUID, str]) -> bool:
    with session.begin():
        return bool(
            session.scalar(
                select(
                    exists().where(PendingSend.event_id == key[0], PendingSend.handler == key[1])
                )
            )
        )


@contextmanager
def send_lock(engine: Engine, key: tuple[uuid.UUID, str]) -> Iterator[None]:
    """Hold the advisory lock of an event's e-mails; SendInProgress after SEND_LOCK_WAIT."""
    digest = hashlib.blake2b(f"{key[0]}|{key[1]}".encode(), digest_size=8).digest()
    lock_id = int.from_bytes(digest, "big", signed=True)
    with engine.connect() as connection:
        # Autocommit: the lock is the session's, and no transaction stays open while it is held.
        connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        deadline = time.monotonic() + SEND_LOCK_WAIT
        while not connection.scalar(text("SELECT pg_try_advisory_lock(:id)"), {"id": lock_id}):
            if time.monotonic() > deadline:
                raise SendInProgress(f"another delivery is sending the e-mails of {key[0]}")
            eventlet.sleep(0.2)
        try:
            yield
        finally:
            try:
                connection.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": lock_id})
            except Exception:
                # The connection is gone, and its lock with it; it must not go back to the pool.
                connection.invalidate()


def _handler(service, emails_of: Callable) -> str:
    """The handler's name as kit.events records it (processed_events, failed_events)."""
    return f"{service.name}.{emails_of.__name__}"


def deliver(session: Session, mailer: SmtpMailer, payload: dict, emails: Iterable[Email]) -> int:
    """Send each of `emails` for the event in `payload` not sent before; returns how many.
    Called with no transaction open on `session`: it reads, and records, in short ones."""
    event_id = uuid.UUID(str(payload["event_id"]))
    agency_id = _uuid_or_none(payload.get("agency_id"))
    with session.begin():
        already_sent = set(
            session.execute(
                select(SentEmail.template, SentEmail.to).where(SentEmail.event_id == event_id)
            ).all()
        )
    sent = 0
    for email in emails:
        if (email.template, email.to) in already_sent:
            continue
        message = compose(email, mailer.mail_from)
        mailer.send(message)
        record_sent(
            session,
            SentEmail(
                agency_id=agency_id,
                event_id=event_id,
                template=email.template,
                to=email.to,
                subject=str(message["Subject"]),
                sent_at=utcnow(),
            ),
        )
        log.info("sent %s to %s for event %s", email.template, email.to, event_id)
        sent += 1
    return sent


def record_sent(session: Session, row: SentEmail) -> None:
    """Commit `row` at once, in a transaction of its own (see the module docstring). The SMTP
    server has accepted the e-mail: while the database is away (restarting, a connection cut)
    the record is tried again for RECORD_PATIENCE seconds, as a retry without it sends again."""
    values = {
        column.key: getattr(row, column.key)
        for column in SentEmail.__table__.columns
        if getattr(row, column.key) is not None
    }
    deadline = time.monotonic() + RECORD_PATIENCE
    while True:
        try:
            with Session(bind=session.get_bind()) as own, own.begin():
                own.execute(insert(SentEmail).values(**values))
            return
        except IntegrityError:
            # Another delivery of the same event recorded this e-mail first (or this one did,
            # its commit's answer lost with the connection).
            log.warning(
                "%s to %s for event %s was already recorded", row.template, row.to, row.event_id
            )
            return
        except Exception as exc:
            if not database_unreachable(exc) or time.monotonic() > deadline:
                raise
            log.warning(
                "%s to %s for event %s was sent but not recorded yet (%s); trying again",
                row.template,
                row.to,
                row.event_id,
                short_reason(exc),
            )
            eventlet.sleep(RECORD_RETRY_SECONDS)


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
