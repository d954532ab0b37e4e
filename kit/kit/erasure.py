"""Erasing an agency: every row of it in a service's database, when identity says it is deleted.

Each service handles identity's `agency_deleted` by calling `erase_agency` with its own metadata:
every table that has an `agency_id` column loses the agency's rows, children before parents (the
metadata's dependency order), and the kit's tables too (its outbox rows, and failed events whose
payload names it). A table added later is covered without a change here.
"""

from __future__ import annotations

import uuid

from sqlalchemy import MetaData, delete
from sqlalchemy.orm import Session

from kit.tables import FailedEvent, KitBase


def erase_agency(session: Session, metadata: MetaData, agency_id) -> dict[str, int]:
    """Delete the agency's rows in every table of `metadata` and the kit's; counts per table."""
    agency = uuid.UUID(str(agency_id))
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
