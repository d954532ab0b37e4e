"""The notifications service's own tables: every e-mail it sent, and the events whose e-mails are
still to send."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, new_id, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class SentEmail(Base):
    """One e-mail handed to the SMTP server. Subject and recipient only: bodies carry tokens."""

    __tablename__ = "sent_emails"
    __table_args__ = (
        # One e-mail per event, template and recipient: a retried event skips what it already sent.
        UniqueConstraint("event_id", "template", "to", name="uq_sent_emails_event_template_to"),
        Index("ix_sent_emails_agency_sent_at", "agency_id", "sent_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Nullable: an e-mail for a principal whose agency the event did not name is still recorded.
    agency_id: Mapped[uuid.UUID | None]
    event_id: Mapped[uuid.UUID]
    template: Mapped[str] = mapped_column(String(100))
    to: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingSend(Base):
    """An event's e-mails still to send: written in the handler's transaction (with the claim
    of the event), deleted once every one of them is sent (notifications.delivery). Not the
    payload: it holds tokens; the event's message (or its failed_events row) carries it."""

    __tablename__ = "pending_sends"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    agency_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
