"""Assignments: a catalog service assigned to a client with its billing terms.

An assignment is never edited (its invoices would no longer match it): it can be ended at a date
(today or later, never later than an end it has) or deleted while it has not started. Its status
is computed from its dates and today in the agency's time zone (invoicing.periods.status_on).
`next_bill_on` is kept as the billing run's cursor (invoicing.runs).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, delete, exists, or_, select
from sqlalchemy.orm import Session

from billing.catalog.services import assignable_service, find_service
from billing.common import (
    MAX_NOTE,
    clean_amount,
    clean_currency,
    clean_date,
    day,
    may_read_catalog,
    money,
)
from billing.facts.agencies import agency_today
from billing.facts.clients import billable_client, find_client
from billing.invoicing import periods
from billing.invoicing.periods import BILLING_TYPES, HOURLY, STATUSES, Terms, status_on
from billing.models import (
    Assignment,
    CatalogService,
    ClientFact,
    Invoice,
    TimeNote,
)
from billing.payments.accounts import clean_payment_method
from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.ids import parse_id
from kit.inputs import clean_text, iso, one_of
from kit.outbox import record_event
from kit.paging import page_of


def terms_of(assignment: Assignment) -> Terms:
    return Terms(assignment.billing_type, assignment.start_date, assignment.end_date)


def assignment_dict(
    assignment: Assignment, service: CatalogService, client: ClientFact, today
) -> dict:
    return {
        "id": str(assignment.id),
        "service": {"id": str(service.id), "name": service.name},
        "client": {"id": str(client.client_id), "name": client.name},
        "payment_method": assignment.payment_method,
        "billing_type": assignment.billing_type,
        "start_date": day(assignment.start_date),
        "end_date": day(assignment.end_date),
        "rate": money(assignment.rate, assignment.currency),
        "note": assignment.note,
        "status": status_on(assignment.start_date, assignment.end_date, today),
        "next_bill_on": day(assignment.next_bill_on),
        "created_by": assignment.created_by,
        "created_at": iso(assignment.created_at),
        "ended_at": iso(assignment.ended_at),
    }


def event_data(assignment: Assignment, service: CatalogService, client: ClientFact) -> dict:
    return {
        "assignment_id": str(assignment.id),
        "service_id": str(service.id),
        "service_name": service.name,
        "client_id": str(client.client_id),
        "client_name": client.name,
        "payment_method": assignment.payment_method,
        "billing_type": assignment.billing_type,
        "start_date": day(assignment.start_date),
        "end_date": day(assignment.end_date),
        "rate": money(assignment.rate, assignment.currency),
    }


def find_assignment(session: Session, ctx: Context, assignment_id: Any, lock: bool = False):
    """The agency's assignment named in a path; another agency's or unknown: NotFound."""
    assignment = session.get(
        Assignment, parse_id(assignment_id, "assignment"), with_for_update=lock or None
    )
    if assignment is None or assignment.agency_id != ctx.agency:
        raise NotFound("No such assignment.")
    return assignment


def _described(session: Session, ctx: Context, assignment: Assignment) -> dict:
    service = session.get(CatalogService, assignment.service_id)
    client = session.get(ClientFact, assignment.client_id)
    return assignment_dict(assignment, service, client, agency_today(session, ctx))


def assign_service(
    session: Session,
    ctx: Context,
    service_id: Any,
    client_id: Any,
    payment_method: Any,
    billing_type: Any,
    start_date: Any,
    rate: Any,
    end_date: Any = None,
    currency: Any = "USD",
    note: Any = None,
) -> dict:
    """Assign a catalog service to a client with its billing terms."""
    ctx.require(permissions.MANAGE_SERVICES)
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    checks = {
        "service_id": lambda: assignable_service(session, ctx, service_id),
        "client_id": lambda: billable_client(session, ctx, client_id),
        "payment_method": lambda: clean_payment_method(session, ctx, payment_method),
        "billing_type": lambda: one_of(billing_type, BILLING_TYPES, "billing_type"),
        "start_date": lambda: clean_date(start_date, "start_date"),
        "end_date": lambda: clean_date(end_date, "end_date", required=False),
        "rate": lambda: clean_amount(rate, "rate"),
        "currency": lambda: clean_currency(currency),
        "note": lambda: clean_text(note, "note", MAX_NOTE),
    }
    for field, check in checks.items():
        try:
            cleaned[field] = check()
        except ValidationError as exc:
            errors.update(exc.fields or {field: exc.message})
    start, end = cleaned.get("start_date"), cleaned.get("end_date")
    if start and end and end < start:
        errors["end_date"] = "The end date is before the start date."
    if errors:
        raise ValidationError(
            "The assignment has errors: "
            + "; ".join(f"{field}: {message}" for field, message in errors.items()),
            errors,
        )
    service, client = cleaned["service_id"], cleaned["client_id"]
    assignment = Assignment(
        agency_id=ctx.agency,
        service_id=service.id,
        client_id=client.client_id,
        payment_method=cleaned["payment_method"],
        billing_type=cleaned["billing_type"],
        start_date=start,
        end_date=end,
        rate=cleaned["rate"],
        currency=cleaned["currency"],
        note=cleaned["note"],
        created_by=ctx.principal_id,
        created_at=utcnow(),
    )
    # Hourly assignments fall due only when time is logged (catalog.time_notes).
    if assignment.billing_type != HOURLY:
        assignment.next_bill_on = periods.next_bill_on(terms_of(assignment))
    session.add(assignment)
    session.flush()
    record_event(session, ctx, "service_assigned", event_data(assignment, service, client))
    return assignment_dict(assignment, service, client, agency_today(session, ctx))


def end_assignment(session: Session, ctx: Context, assignment_id: Any, end_date: Any) -> dict:
    """End an assignment at a date (today or later): nothing is billed for days after it."""
    ctx.require(permissions.MANAGE_SERVICES)
    assignment = find_assignment(session, ctx, assignment_id, lock=True)
    end = clean_date(end_date, "end_date")
    today = agency_today(session, ctx)
    if end < assignment.start_date:
        raise ValidationError(
            "The end date is before the start date.", {"end_date": "before the start date"}
        )
    if end < today:
        raise ValidationError("An assignment cannot end in the past.", {"end_date": "in the past"})
    if assignment.end_date is not None and end > assignment.end_date:
        raise ValidationError(
            f"The assignment already ends on {assignment.end_date.isoformat()}.",
            {"end_date": "later than its current end"},
        )
    logged_after = session.scalar(
        select(exists().where(TimeNote.assignment_id == assignment.id, TimeNote.work_date > end))
    )
    if logged_after:
        raise ValidationError(
            "Time is logged after that date.", {"end_date": "time is logged after it"}
        )
    assignment.end_date = end
    assignment.ended_at = utcnow()
    assignment.ended_by = ctx.principal_id
    if assignment.billing_type != HOURLY:
        assignment.next_bill_on = periods.next_bill_on(
            terms_of(assignment), assignment.billed_through
        )
    service = session.get(CatalogService, assignment.service_id)
    client = session.get(ClientFact, assignment.client_id)
    record_event(session, ctx, "assignment_ended", event_data(assignment, service, client))
    return assignment_dict(assignment, service, client, today)


def delete_assignment(session: Session, ctx: Context, assignment_id: Any) -> None:
    """Delete an assignment that has not started (one that has is ended instead)."""
    ctx.require(permissions.MANAGE_SERVICES)
    assignment = find_assignment(session, ctx, assignment_id, lock=True)
    invoiced = session.scalar(select(exists().where(Invoice.assignment_id == assignment.id)))
    if invoiced or agency_today(session, ctx) >= assignment.start_date:
        raise Conflict("The assignment has started: end it instead of deleting it.")
    service = session.get(CatalogService, assignment.service_id)
    client = session.get(ClientFact, assignment.client_id)
    data = event_data(assignment, service, client)
    session.execute(delete(TimeNote).where(TimeNote.assignment_id == assignment.id))
    session.delete(assignment)
    record_event(session, ctx, "assignment_deleted", data)


def get_assignment(session: Session, ctx: Context, assignment_id: Any) -> dict:
    may_read_catalog(ctx)
    return _described(session, ctx, find_assignment(session, ctx, assignment_id))


def _status_filter(status: str, today):
    one_of(status, STATUSES)
    end = Assignment.end_date
    return {
        "not_started": Assignment.start_date > today,
        "ending_today": and_(Assignment.start_date <= today, end == today),
        "ended": end < today,
        "active": and_(Assignment.start_date <= today, or_(end.is_(None), end > today)),
    }[status]


def list_assignments(
    session: Session,
    ctx: Context,
    client_id: Any = None,
    service_id: Any = None,
    status: str | None = None,
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    """Assignments, newest first, filtered by client, service and status (in the agency's
    today); a client or service of another agency is NotFound."""
    may_read_catalog(ctx)
    today = agency_today(session, ctx)
    query = (
        select(Assignment, CatalogService, ClientFact)
        .join(CatalogService, CatalogService.id == Assignment.service_id)
        .join(ClientFact, ClientFact.client_id == Assignment.client_id)
        .where(Assignment.agency_id == ctx.agency)
    )
    if client_id is not None:
        query = query.where(Assignment.client_id == find_client(session, ctx, client_id).client_id)
    if service_id is not None:
        query = query.where(Assignment.service_id == find_service(session, ctx, service_id).id)
    if status is not None:
        query = query.where(_status_filter(status, today))
    query = query.order_by(Assignment.created_at.desc(), Assignment.id)
    return page_of(
        session,
        query,
        page,
        per_page,
        lambda rows: [assignment_dict(a, s, c, today) for a, s, c in rows],
    )


def list_activities(session: Session, ctx: Context, assignment_id: Any) -> list[dict]:
    """The assignment's history, oldest first: assigned, time logged, invoiced, ended."""
    may_read_catalog(ctx)
    assignment = find_assignment(session, ctx, assignment_id)
    history = [
        {
            "kind": "assigned",
            "at": iso(assignment.created_at),
            "by": assignment.created_by,
            "detail": {"start_date": day(assignment.start_date)},
        }
    ]
    notes = session.scalars(select(TimeNote).where(TimeNote.assignment_id == assignment.id))
    history += [
        {
            "kind": "time_logged",
            "at": iso(note.created_at),
            "by": note.logged_by,
            "detail": {"work_date": day(note.work_date), "minutes": note.minutes},
        }
        for note in notes
    ]
    invoices = session.scalars(select(Invoice).where(Invoice.assignment_id == assignment.id))
    history += [
        {
            "kind": "invoiced",
            "at": iso(invoice.created_at),
            "by": invoice.created_by,
            "detail": {
                "invoice_id": str(invoice.id),
                "number": invoice.number,
                "total": money(invoice.total, invoice.currency),
                "period_start": day(invoice.period_start),
                "period_end": day(invoice.period_end),
            },
        }
        for invoice in invoices
    ]
    if assignment.ended_at is not None:
        history.append(
            {
                "kind": "ended",
                "at": iso(assignment.ended_at),
                "by": assignment.ended_by,
                "detail": {"end_date": day(assignment.end_date)},
            }
        )
    return sorted(history, key=lambda entry: entry["at"])
