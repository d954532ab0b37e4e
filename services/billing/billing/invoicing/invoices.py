"""Invoices: issuing them in bulk (runs and charges), reading them, marking them paid, voiding.

An invoice is `open` when issued, `paid` when paid (by card, or marked paid by hand with a method
and reference), `failed` when a card charge was declined, `void` when voided. A paid or void
invoice does not change again here (a paid one is refunded through payments).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from billing.common import clean_date, day, money
from billing.facts.clients import billing_recipients, find_client
from billing.invoicing.numbering import set_counter
from billing.models import INVOICE_STATUSES, AgencyFact, Invoice, InvoiceLine
from kit import permissions, vocabulary
from kit.bulk import copy_rows
from kit.context import Context
from kit.db import new_id, utcnow
from kit.errors import Conflict, NotFound
from kit.ids import parse_id
from kit.inputs import clean_text, iso, one_of
from kit.outbox import record_event, record_events
from kit.paging import page_of

PAID_METHODS = vocabulary.PAID_METHODS


@dataclass
class Line:
    service_id: uuid.UUID
    service_name: str
    amount: int
    description: str = ""
    period_start: date | None = None
    period_end: date | None = None
    minutes: int | None = None
    time_note_id: uuid.UUID | None = None


@dataclass
class Draft:
    """An invoice about to be issued: who, how it is paid, what for."""

    client_id: uuid.UUID
    client_name: str
    payment_method: str
    currency: str
    lines: list[Line]
    assignment_id: uuid.UUID | None = None
    period_start: date | None = None
    period_end: date | None = None
    usage_month: date | None = None  # a usage invoice: the month it re-bills
    note: str = ""
    id: uuid.UUID = field(default_factory=new_id)

    @property
    def total(self) -> int:
        return sum(line.amount for line in self.lines)


def issue(
    session: Session,
    ctx: Context,
    drafts: list[Draft],
    issued_on: date,
    terms_days: int,
    last_number: int,
) -> int:
    """Write the drafts as invoices numbered after `last_number` (the caller holds the counter
    lock), with their lines and `invoice_issued` events, each kind in one COPY; returns the new
    last number."""
    if not drafts:
        return last_number
    now = utcnow()
    due_on = issued_on + timedelta(days=terms_days)
    invoices, lines, events, notes = [], [], [], []
    for number, draft in enumerate(drafts, start=last_number + 1):
        invoice = {
            "id": draft.id,
            "agency_id": ctx.agency,
            "number": number,
            "client_id": draft.client_id,
            "client_name": draft.client_name,
            "assignment_id": draft.assignment_id,
            "period_start": draft.period_start,
            "period_end": draft.period_end,
            "usage_month": draft.usage_month,
            "issued_on": issued_on,
            "due_on": due_on,
            "payment_method": draft.payment_method,
            "currency": draft.currency,
            "total": draft.total,
            "status": "open",
            "note": draft.note,
            # Card invoices are charged as they are issued (payments.charging).
            "next_charge_on": issued_on if draft.payment_method == "card" else None,
            "created_by": ctx.principal_id,
            "created_at": now,
        }
        invoices.append(invoice)
        for position, line in enumerate(draft.lines):
            lines.append(
                {
                    "id": new_id(),
                    "agency_id": ctx.agency,
                    "invoice_id": draft.id,
                    "position": position,
                    "service_id": line.service_id,
                    "service_name": line.service_name,
                    "description": line.description,
                    "period_start": line.period_start,
                    "period_end": line.period_end,
                    "minutes": line.minutes,
                    "amount": line.amount,
                }
            )
            if line.time_note_id is not None:
                notes.append((line.time_note_id, draft.id))
        events.append(issued_event(invoice, draft.lines))
    recipients = billing_recipients(session, {draft.client_id for draft in drafts})
    agency_name = _agency_name(session, ctx.agency)
    for event, draft in zip(events, drafts, strict=True):
        event |= recipients.get(draft.client_id, NO_RECIPIENT)
        event["agency_name"] = agency_name
    copy_rows(session, Invoice.__table__, invoices)
    copy_rows(session, InvoiceLine.__table__, lines)
    if notes:
        # One statement for every note billed: each points at its invoice from now on.
        session.execute(
            text(
                "UPDATE time_notes SET invoice_id = v.invoice_id "
                "FROM unnest(CAST(:notes AS uuid[]), CAST(:invoices AS uuid[])) "
                "AS v(note_id, invoice_id) WHERE time_notes.id = v.note_id"
            ),
            {"notes": [n for n, _ in notes], "invoices": [i for _, i in notes]},
        )
    record_events(session, ctx, [("invoice_issued", event) for event in events])
    last = last_number + len(drafts)
    set_counter(session, ctx.agency, last)
    return last


def issued_event(invoice: dict, lines: list[Line]) -> dict:
    """What reporting needs of an issued invoice, without asking billing."""
    currency = invoice["currency"]  # checked when the assignment was made

    def money(amount: int) -> dict:
        return {"amount": amount, "currency": currency}

    return {
        "invoice_id": str(invoice["id"]),
        "number": invoice["number"],
        "client_id": str(invoice["client_id"]),
        "client_name": invoice["client_name"],
        "assignment_id": str(invoice["assignment_id"]) if invoice["assignment_id"] else None,
        "issued_on": day(invoice["issued_on"]),
        "due_on": day(invoice["due_on"]),
        "payment_method": invoice["payment_method"],
        "total": money(invoice["total"]),
        "lines": [
            {
                "service_id": str(line.service_id),
                "service_name": line.service_name,
                "description": line.description,
                "period_start": day(line.period_start),
                "period_end": day(line.period_end),
                "minutes": line.minutes,
                "amount": money(line.amount),
            }
            for line in lines
        ],
    }


def line_dict(line: InvoiceLine, currency: str) -> dict:
    return {
        "service_id": str(line.service_id),
        "service_name": line.service_name,
        "description": line.description,
        "period_start": day(line.period_start),
        "period_end": day(line.period_end),
        "minutes": line.minutes,
        "amount": money(line.amount, currency),
    }


def invoice_dict(invoice: Invoice, lines: list[InvoiceLine] | None = None) -> dict:
    answer = {
        "id": str(invoice.id),
        "number": invoice.number,
        "issued_on": day(invoice.issued_on),
        "due_on": day(invoice.due_on),
        "client": {"id": str(invoice.client_id), "name": invoice.client_name},
        "assignment_id": str(invoice.assignment_id) if invoice.assignment_id else None,
        "period_start": day(invoice.period_start),
        "period_end": day(invoice.period_end),
        "payment_method": invoice.payment_method,
        "total": money(invoice.total, invoice.currency),
        "status": invoice.status,
        "note": invoice.note,
        "failure_reason": invoice.failure_reason,
        "paid_at": iso(invoice.paid_at),
        "paid_method": invoice.paid_method,
        "paid_reference": invoice.paid_reference,
        "voided_at": iso(invoice.voided_at),
        "created_at": iso(invoice.created_at),
    }
    if lines is not None:
        answer["lines"] = [line_dict(line, invoice.currency) for line in lines]
    return answer


def find_invoice(session: Session, ctx: Context, invoice_id: Any, lock: bool = False) -> Invoice:
    """The agency's invoice named in a path; another agency's or unknown: NotFound."""
    invoice = session.get(Invoice, parse_id(invoice_id, "invoice"), with_for_update=lock or None)
    if invoice is None or invoice.agency_id != ctx.agency:
        raise NotFound("No such invoice.")
    return invoice


def invoice_with_lines(session: Session, invoice: Invoice) -> dict:
    """The invoice as `invoice_dict` with its lines (the service breakdown)."""
    lines = session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.position)
    ).all()
    return invoice_dict(invoice, list(lines))


def get_invoice(session: Session, ctx: Context, invoice_id: Any) -> dict:
    """An invoice with its lines (the service breakdown)."""
    ctx.require(permissions.VIEW_BILLING)
    return invoice_with_lines(session, find_invoice(session, ctx, invoice_id))


def list_invoices(
    session: Session,
    ctx: Context,
    status: str | None = None,
    client_id: Any = None,
    date_from: Any = None,
    date_to: Any = None,
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    """Invoices, newest number first, filtered by status, client and invoice date (inclusive);
    another agency's client is NotFound."""
    ctx.require(permissions.VIEW_BILLING)
    query = select(Invoice).where(Invoice.agency_id == ctx.agency)
    if status is not None:
        query = query.where(Invoice.status == one_of(status, INVOICE_STATUSES))
    if client_id is not None:
        query = query.where(Invoice.client_id == find_client(session, ctx, client_id).client_id)
    start = clean_date(date_from, "date_from", required=False)
    end = clean_date(date_to, "date_to", required=False)
    if start:
        query = query.where(Invoice.issued_on >= start)
    if end:
        query = query.where(Invoice.issued_on <= end)
    query = query.order_by(Invoice.number.desc())
    return page_of(session, query, page, per_page, lambda rows: [invoice_dict(r[0]) for r in rows])


def export_invoices(session: Session, ctx: Context, page: Any = 1, per_page: Any = 100) -> dict:
    """Every invoice of the agency with its lines, oldest number first, a page at a time: what
    reporting re-reads to rebuild its figures (`python -m reporting.rebuild`)."""
    ctx.require(permissions.VIEW_BILLING)
    query = select(Invoice).where(Invoice.agency_id == ctx.agency).order_by(Invoice.number)

    def with_lines(rows) -> list[dict]:
        invoices = [r[0] for r in rows]
        lines: dict[uuid.UUID, list[InvoiceLine]] = {i.id: [] for i in invoices}
        for line in session.scalars(
            select(InvoiceLine)
            .where(InvoiceLine.invoice_id.in_(list(lines)))
            .order_by(InvoiceLine.invoice_id, InvoiceLine.position)
        ):
            lines[line.invoice_id].append(line)
        return [invoice_dict(i, lines[i.id]) for i in invoices]

    return page_of(session, query, page, per_page, with_lines)


NO_RECIPIENT = {"billing_contact": None, "billing_email": None}


def event_summary(invoice: Invoice, session: Session | None = None) -> dict:
    """What the invoice events carry; with `session`, the client's billing contact too (whom
    notifications e-mails)."""
    summary = {
        "invoice_id": str(invoice.id),
        "number": invoice.number,
        "client_id": str(invoice.client_id),
        "client_name": invoice.client_name,
        "payment_method": invoice.payment_method,
        "total": money(invoice.total, invoice.currency),
        "issued_on": day(invoice.issued_on),
        "due_on": day(invoice.due_on),
    }
    if session is not None:
        summary |= billing_recipients(session, {invoice.client_id}).get(
            invoice.client_id, NO_RECIPIENT
        )
        summary["agency_name"] = _agency_name(session, invoice.agency_id)
    return summary


def _agency_name(session: Session, agency_id: uuid.UUID) -> str:
    """The agency's name as identity said it (for the e-mails notifications makes)."""
    fact = session.get(AgencyFact, agency_id)
    return fact.name if fact else ""


def mark_paid(
    session: Session, ctx: Context, invoice_id: Any, method: Any, reference: Any = None
) -> dict:
    """Record that an open or failed invoice was paid outside the platform."""
    ctx.require(permissions.MANAGE_BILLING)
    invoice = find_invoice(session, ctx, invoice_id, lock=True)
    method = one_of(method, PAID_METHODS, "method")
    reference = clean_text(reference, "reference", 200)
    if invoice.status not in ("open", "failed"):
        raise Conflict(f"Invoice {invoice.number} is {invoice.status}: it cannot be marked paid.")
    invoice.status, invoice.paid_at = "paid", utcnow()
    invoice.paid_method, invoice.paid_reference = method, reference
    record_event(
        session,
        ctx,
        "invoice_paid",
        {**event_summary(invoice, session), "paid_method": method, "paid_reference": reference},
    )
    return invoice_with_lines(session, invoice)


def void_invoice(session: Session, ctx: Context, invoice_id: Any) -> dict:
    """Void an open or failed invoice: nothing is owed on it any more."""
    ctx.require(permissions.MANAGE_BILLING)
    invoice = find_invoice(session, ctx, invoice_id, lock=True)
    if invoice.status == "void":
        return invoice_with_lines(session, invoice)
    if invoice.status == "paid":
        raise Conflict(f"Invoice {invoice.number} is paid: refund it instead of voiding it.")
    invoice.status, invoice.voided_at = "void", utcnow()
    record_event(session, ctx, "invoice_voided", event_summary(invoice))
    return invoice_with_lines(session, invoice)
