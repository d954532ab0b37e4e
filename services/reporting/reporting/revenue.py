"""Invoices into revenue: each invoice's state, its contributions, and the difference applied.

An invoice contributes, per line (service), to `revenue_days` and its roll-ups:
`issued` on its issue day; `open` or `failed` (its status now) on its issue day; `paid` on the
day it was paid; `voided` on the day it was voided; `refunded` on each refund's day (a refund is
spread over the lines in proportion to their amounts). Nothing is counted until the invoice's
`invoice_issued` is seen: an earlier `invoice_paid` is kept in the state and counted then.

`apply_invoice` is the one way the tables change: it computes the invoice's contributions before
and after a change of its state and writes only the difference, so events may come twice (the
kit drops the copy) or in any order and the sums end the same.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from reporting.models import (
    MEASURES,
    InvoiceFact,
    RefundFact,
    RevenueClientDay,
    RevenueDay,
    RevenueServiceDay,
    RevenueServiceMonth,
    RevenueTotalDay,
)

# Statuses an invoice moves through, later ones winning: open -> failed -> paid | void.
STATUS_RANK = {"open": 0, "failed": 1, "paid": 2, "void": 2}

Key = tuple[date, uuid.UUID, uuid.UUID, str]  # day, client, service, currency
Contributions = dict[Key, dict[str, int]]


def status_of(fact: InvoiceFact) -> str:
    """The status the events add up to, whatever order they came in."""
    if fact.voided_on is not None:
        return "void"
    if fact.paid_on is not None:
        return "paid"
    if fact.failed_on is not None:
        return "failed"
    return "open"


def spread(amount: int, weights: list[int]) -> list[int]:
    """`amount` split in proportion to `weights`, whole units, largest remainders first (sums
    to `amount` exactly)."""
    total = sum(weights)
    if not weights:
        return []
    if total <= 0:
        return [amount] + [0] * (len(weights) - 1)
    shares = [amount * w // total for w in weights]
    rest = amount - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: -((amount * weights[i]) % total))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def contributions(fact: dict, refunds: Iterable[tuple[date, int]]) -> Contributions:
    """What one invoice adds to each (day, client, service, currency): `fact` is its state as a
    dict (InvoiceFact's columns), `refunds` its refunds as (day, amount)."""
    out: Contributions = defaultdict(lambda: dict.fromkeys(MEASURES, 0))
    if not fact["issued"]:
        return {}
    client, currency = fact["client_id"], fact["currency"]
    lines = fact["lines"] or []
    status = fact["status"]
    weights = [int(line["amount"]) for line in lines]
    refunded_by_line: list[list[tuple[date, int]]] = [[] for _ in lines]
    for day, amount in refunds:
        for i, share in enumerate(spread(amount, weights)):
            refunded_by_line[i].append((day, share))
    for i, line in enumerate(lines):
        service = uuid.UUID(str(line["service_id"]))
        amount = int(line["amount"])
        issued_on = fact["issued_on"]
        out[(issued_on, client, service, currency)]["issued"] += amount
        if status in ("open", "failed"):
            out[(issued_on, client, service, currency)][status] += amount
        elif status == "paid":
            out[(fact["paid_on"], client, service, currency)]["paid"] += amount
        elif status == "void":
            out[(fact["voided_on"], client, service, currency)]["voided"] += amount
        for day, share in refunded_by_line[i]:
            out[(day, client, service, currency)]["refunded"] += share
    return dict(out)


def fact_state(fact: InvoiceFact) -> dict:
    return {
        "issued": fact.issued,
        "client_id": fact.client_id,
        "currency": fact.currency,
        "lines": list(fact.lines or []),
        "status": fact.status,
        "issued_on": fact.issued_on,
        "paid_on": fact.paid_on,
        "voided_on": fact.voided_on,
    }


def refunds_of(session: Session, invoice_id: uuid.UUID) -> list[tuple[date, int]]:
    rows = session.execute(
        select(RefundFact.refunded_on, RefundFact.amount).where(RefundFact.invoice_id == invoice_id)
    ).all()
    return [(r.refunded_on, r.amount) for r in rows]


def difference(before: Contributions, after: Contributions) -> Contributions:
    """after - before, without the keys where nothing changed."""
    out: Contributions = {}
    for key in before.keys() | after.keys():
        old = before.get(key) or dict.fromkeys(MEASURES, 0)
        new = after.get(key) or dict.fromkeys(MEASURES, 0)
        delta = {m: new[m] - old[m] for m in MEASURES}
        if any(delta.values()):
            out[key] = delta
    return out


def apply_invoice(
    session: Session,
    agency_id: uuid.UUID,
    invoice_id: uuid.UUID,
    change: Callable[[InvoiceFact], None],
    client_id: uuid.UUID,
) -> InvoiceFact:
    """Change an invoice's state (`change(fact)`, the row locked) and move the revenue sums by
    the difference its contributions make."""
    fact = session.get(InvoiceFact, invoice_id, with_for_update=True)
    if fact is None:
        session.execute(
            insert(InvoiceFact)
            .values(invoice_id=invoice_id, agency_id=agency_id, client_id=client_id, lines=[])
            .on_conflict_do_nothing()
        )
        fact = session.get(InvoiceFact, invoice_id, with_for_update=True, populate_existing=True)
    if fact.agency_id != agency_id:
        return fact  # an id from another agency: never mixed in
    refunds = refunds_of(session, invoice_id)
    before = contributions(fact_state(fact), refunds)
    change(fact)
    fact.status = status_of(fact)
    session.flush()
    after = contributions(fact_state(fact), refunds_of(session, invoice_id))
    add_to_sums(session, agency_id, difference(before, after))
    return fact


def add_to_sums(session: Session, agency_id: uuid.UUID, deltas: Contributions) -> None:
    """Add `deltas` to revenue_days and its three roll-ups (upserts, summed in place)."""
    if not deltas:
        return
    grains = (
        (RevenueDay, ("day", "client_id", "service_id", "currency")),
        (RevenueClientDay, ("day", "client_id", "currency")),
        (RevenueServiceDay, ("day", "service_id", "currency")),
        (RevenueServiceMonth, ("month", "service_id", "currency")),
        (RevenueTotalDay, ("day", "currency")),
    )
    for model, keys in grains:
        rows: dict[tuple, dict] = {}
        for (day, client, service, currency), delta in deltas.items():
            full = {
                "day": day,
                "month": day.replace(day=1),
                "client_id": client,
                "service_id": service,
                "currency": currency,
            }
            key = tuple(full[k] for k in keys)
            row = rows.setdefault(
                key,
                {
                    "agency_id": agency_id,
                    **{k: full[k] for k in keys},
                    **dict.fromkeys(MEASURES, 0),
                },
            )
            for m in MEASURES:
                row[m] += delta[m]
        # A fixed order of rows: two invoices of one agency updating the same days never
        # deadlock each other.
        ordered = [rows[k] for k in sorted(rows, key=lambda k: tuple(str(p) for p in k))]
        statement = insert(model).values(ordered)
        table = model.__table__
        statement = statement.on_conflict_do_update(
            index_elements=["agency_id", *keys],
            set_={m: table.c[m] + statement.excluded[m] for m in MEASURES},
        )
        session.execute(statement)
