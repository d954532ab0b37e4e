"""Tables the kit keeps in every service's database: the outbox and the inbox records.

They live in their own metadata; each service's Alembic environment includes it next to the
service's own (`target_metadata = [Base.metadata, KitBase.metadata]`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Index, String, Text, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, utcnow


class KitBase(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class OutboxEvent(KitBase):
    """An event written in the same transaction as the change it reports."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_unpublished", "created_at", postgresql_where=text("published_at IS NULL")),
    )

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    agency_id: Mapped[uuid.UUID | None]
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)


class ProcessedEvent(KitBase):
    """An event a handler has processed: the same event_id is never processed twice."""

    __tablename__ = "processed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    processed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FailedEvent(KitBase):
    """An event whose handler raised: retried with back-off, then kept as dead, never dropped."""

    __tablename__ = "failed_events"

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    handler: Mapped[str] = mapped_column(String(200), primary_key=True)
    queue: Mapped[str] = mapped_column(String(300))
    event_type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSONB)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(String(20), default="retrying")  # retrying | dead
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ErasedAgency(KitBase):
    """A tombstone: an agency identity deleted and this service erased (kit.erasure). Events
    about it that were still in flight are ignored when they arrive (kit.events), so they cannot
    re-create its rows. The column is deliberately not `agency_id`: erasing never removes it."""

    __tablename__ = "erased_agencies"

    erased_agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    erased_at: Mapped[datetime] = mapped_column(default=utcnow)


def backoff_seconds(attempts: int) -> int:
    """Seconds to wait before the next try: 1, 2, 4, ... capped at ten minutes."""
    return min(2 ** max(attempts - 1, 0), 600)
