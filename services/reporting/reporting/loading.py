"""Loading an agency's invoices in bulk (the rebuild, the benchmark's seed): invoice states in,
their contributions summed in memory and every table written with COPY (kit.bulk.copy_rows)
rather than an upsert per invoice. The caller has emptied the agency's rows first."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy.orm import Session

from kit.bulk import copy_rows
from reporting.models import (
    MEASURES,
    InvoiceFact,
    RevenueClientDay,
    RevenueDay,
    RevenueServiceDay,
    RevenueServiceMonth,
    RevenueTotalDay,
)
from reporting.revenue import contributions

FACT_COLUMNS = (
    "invoice_id", "agency_id", "number", "client_id", "client_name", "currency", "total",
    "issued", "issued_on", "due_on", "lines", "paid_on", "failed_on", "voided_on", "status",
    "refunded", "updated_at",
)  # fmt: skip


def load_invoices(
    session: Session,
    agency_id: uuid.UUID,
    facts: Iterable[dict],
    refunds: dict[uuid.UUID, list] | None = None,
) -> int:
    """Write `facts` (InvoiceFact columns, `status` already derived) and the revenue sums they
    make; `refunds` per invoice id as [(day, amount)]. Returns how many invoices."""
    refunds = refunds or {}
    sums: dict = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    rows, count = [], 0
    for fact in facts:
        count += 1
        rows.append({c: fact.get(c) for c in FACT_COLUMNS})
        for key, values in contributions(fact, refunds.get(fact["invoice_id"], [])).items():
            target = sums[key]
            for m in MEASURES:
                target[m] += values[m]
        if len(rows) >= 10_000:
            copy_rows(session, InvoiceFact.__table__, rows)
            rows = []
    copy_rows(session, InvoiceFact.__table__, rows)
    write_sums(session, agency_id, sums)
    return count


def write_sums(session: Session, agency_id: uuid.UUID, sums: dict) -> None:
    """COPY the grain and its roll-ups from sums keyed (day, client, service, currency)."""
    grains = (
        (RevenueDay, ("day", "client_id", "service_id", "currency")),
        (RevenueClientDay, ("day", "client_id", "currency")),
        (RevenueServiceDay, ("day", "service_id", "currency")),
        (RevenueServiceMonth, ("month", "service_id", "currency")),
        (RevenueTotalDay, ("day", "currency")),
    )
    for model, keys in grains:
        rolled: dict = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
        for (day, client, service, currency), values in sums.items():
            full = {
                "day": day,
                "month": day.replace(day=1),
                "client_id": client,
                "service_id": service,
                "currency": currency,
            }
            target = rolled[tuple(full[k] for k in keys)]
            for m in MEASURES:
                target[m] += values[m]
        copy_rows(
            session,
            model.__table__,
            [
                {"agency_id": agency_id, **dict(zip(keys, key, strict=True)), **values}
                for key, values in rolled.items()
            ],
        )
