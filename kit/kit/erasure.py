"""Erasing an agency: every row of it in a service's database, when identity says it is deleted.

Each service handles identity's `agency_deleted` by calling `erase_agency` with its own metadata:
every table that has an `agency_id` column loses the agency's rows, children before parents (the
metadata's dependency order), and the kit's tables too (its outbox rows, and failed events whose
payload names it). A table added later is covered without a change here.

Erasing also leaves a tombstone (`erased_agencies`): an event about the agency still in flight
(a `client_created` published just before the deletion, say) arrives afterwards and is ignored
by every reliable handler (kit.events), so it cannot re-create what was erased. Erasure takes
the agency's advisory lock exclusively and every handled event takes it shared (`is_erased`):
an event handled concurrently either commits before the erasure starts (and is erased with the
rest) or waits for it and then sees the tombstone.
"""

from __future__ import annotations

import uuid

from sqlalchemy import MetaData, delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from kit.db import utcnow
from kit.tables import ErasedAgency, FailedEvent, KitBase


def _lock_key(agency: uuid.UUID):
    return func.hashtext(f"erasure:{agency}")


def erase_agency(session: Session, metadata: MetaData, agency_id) -> dict[str, int]:
    """Delete the agency's rows in every table of `metadata` and the kit's; counts per table.
    The tombstone is written first, under the agency's erasure lock."""
    agency = uuid.UUID(str(agency_id))
    session.execute(select(func.pg_advisory_xact_lock(_lock_key(agency))))
    session.execute(
        insert(ErasedAgency)
        .values(erased_agency_id=agency, erased_at=utcnow())
        .on_conflict_do_nothing()
    )
    erased: dict[str, int] = {}
    for meta in (metadata, KitBase.metadata):
        for table in reversed(meta.sorted_tables):
            if "agency_id" in table.c:
                result = session.execute(delete(table).where(table.c.agency_id == agency))
                erased[table.name] = result.rowcount
    failed = session.execute(
        delete(FailedEvent).where(FailedEvent.payload["agency_id"].astext == str(agency))
    )
    erased[FailedEvent.__tablename__] = failed.rowcount
    return erased


def is_erased(session: Session, agency_id) -> bool:
    """Whether the agency was erased here; waits for an erasure in progress (shared lock held
    to the end of the caller's transaction)."""
    try:
        agency = uuid.UUID(str(agency_id))
    except ValueError:
        return False
    session.execute(select(func.pg_advisory_xact_lock_shared(_lock_key(agency))))
    return session.get(ErasedAgency, agency) is not None
