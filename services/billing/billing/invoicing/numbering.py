"""Invoice numbers: per agency, 1, 2, 3, ... with no gap and no repeat, even under concurrency.

Whoever issues invoices first locks the agency's counter row (`SELECT ... FOR UPDATE`) and
writes the new last number in the same transaction as the invoices: a second issuer waits for
the first to commit (and then sees its invoices) or roll back (and then reuses its numbers).
"""

from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.models import InvoiceCounter


def lock_counter(session: Session, agency_id: uuid.UUID) -> int:
    """Lock the agency's counter for the rest of the transaction; the last number issued."""
    session.execute(
        insert(InvoiceCounter)
        .values(agency_id=agency_id, last_number=0)
        .on_conflict_do_nothing(index_elements=[InvoiceCounter.agency_id])
    )
    return session.scalar(
        select(InvoiceCounter.last_number)
        .where(InvoiceCounter.agency_id == agency_id)
        .with_for_update()
    )


def set_counter(session: Session, agency_id: uuid.UUID, last_number: int) -> None:
    """Record the last number issued (under the lock taken by `lock_counter`)."""
    session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.agency_id == agency_id)
        .values(last_number=last_number)
    )
