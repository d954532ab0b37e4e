"""A client's standing over time: created, status changed, archived, restored.

Each change is kept in `client_status_history` in the transaction that makes it, with the
`event_id` and `occurred_at` of the event published for it, so a reader rebuilding from this
history (reporting's `python -m reporting.rebuild`) lands on exactly what the events told it.
Rows from before migration 0040 were backfilled from the outbox's recent events and the clients'
own `created_at` / `archived_at` (`backfilled` true: times and first statuses reconstructed).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clients.models import ClientStatusChange
from kit.bulk import copy_rows
from kit.context import Context
from kit.ids import parse_id
from kit.inputs import iso
from kit.outbox import record_event, record_events
from kit.paging import page_of
from kit.permissions import VIEW_CLIENTS

# The events that change a client's standing, and the kind of change each is.
KINDS = {
    "client_created": "created",
    "client_status_changed": "status",
    "client_archived": "archived",
    "client_restored": "restored",
}


def _row(ctx: Context, event_type: str, payload: dict) -> dict:
    kind = KINDS[event_type]
    return {
        "id": uuid.UUID(payload["event_id"]),
        "agency_id": ctx.agency,
        "client_id": uuid.UUID(payload["client_id"]),
        "kind": kind,
        "status": payload.get("status") if kind in ("created", "status") else None,
        "old_status": payload.get("old_status"),
        "occurred_at": datetime.fromisoformat(payload["occurred_at"]),
        "backfilled": False,
    }


def record_change(session: Session, ctx: Context, event_type: str, data: dict) -> dict:
    """Record the event (kit.outbox) and the change it announces, in the caller's transaction;
    the event's payload."""
    payload = record_event(session, ctx, event_type, data)
    session.execute(insert(ClientStatusChange).values(_row(ctx, event_type, payload)))
    return payload


def record_changes(session: Session, ctx: Context, events: Iterable[tuple[str, dict]]) -> list:
    """Many events at once (an import's batch); those of KINDS are kept as changes too."""
    payloads = record_events(session, ctx, events)
    rows = [_row(ctx, p["event_type"], p) for p in payloads if p["event_type"] in KINDS]
    copy_rows(session, ClientStatusChange.__table__, rows)  # COPY: an import's batch is large
    return payloads


def change_dict(row: ClientStatusChange) -> dict:
    return {
        "id": str(row.id),
        "client_id": str(row.client_id),
        "kind": row.kind,
        "status": row.status,
        "old_status": row.old_status,
        "occurred_at": iso(row.occurred_at),
        "backfilled": row.backfilled,
    }


def list_status_history(
    session: Session, ctx: Context, client_id: Any = None, page: Any = 1, per_page: Any = 100
) -> dict:
    """The agency's client changes (one client's with `client_id`), oldest first, a page at a
    time. `id` is the event's `event_id` (a backfilled row's is made up)."""
    ctx.require(VIEW_CLIENTS)
    query = (
        select(ClientStatusChange)
        .where(ClientStatusChange.agency_id == ctx.agency)
        .order_by(ClientStatusChange.occurred_at, ClientStatusChange.id)
    )
    if client_id not in (None, ""):
        query = query.where(ClientStatusChange.client_id == parse_id(client_id, "client"))
    return page_of(
        session,
        query,
        page,
        per_page,
        lambda rows: [change_dict(r[0]) for r in rows],
        key=ClientStatusChange.id,
    )
