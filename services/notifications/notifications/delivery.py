"""Sending an event's e-mails and recording each one sent.

Each sent e-mail is recorded in a short transaction of its own, committed right after the SMTP
server accepted it. The handler's transaction may still roll back (a later recipient failed): the
retry then skips what the record says was already sent, so no one gets the same e-mail twice.

Two deliveries of one event never run at the same time: the kit claims the event before the
handler runs, and a second copy waits for that claim.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.db import utcnow
from notifications.emails import Email
from notifications.mail import SmtpMailer, compose
from notifications.models import SentEmail

log = logging.getLogger(__name__)


def deliver(session: Session, mailer: SmtpMailer, payload: dict, emails: Iterable[Email]) -> int:
    """Send each of `emails` for the event in `payload` not sent before; returns how many."""
    event_id = uuid.UUID(str(payload["event_id"]))
    agency_id = _uuid_or_none(payload.get("agency_id"))
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
    """Commit `row` at once, outside the handler's transaction (see the module docstring)."""
    try:
        with Session(bind=session.get_bind()) as own, own.begin():
            own.add(row)
    except IntegrityError:
        # Another delivery of the same event recorded this e-mail first.
        log.warning(
            "%s to %s for event %s was already recorded", row.template, row.to, row.event_id
        )


def _uuid_or_none(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None
