"""The billing run: issue every invoice due as of a date, and nothing else.

A run for one agency, in one transaction:
1. lock the agency's invoice counter (numbering): a concurrent run of the same agency, on this
   process or another, waits here and then finds nothing left to issue;
2. read the assignments whose `next_bill_on` is due (locking them against time notes written
   meanwhile), with their service and client, in one query; for hourly ones, their uninvoiced
   time notes in a second;
3. work out each due period (invoicing.periods) and its amount (invoicing.amounts) in Python;
4. add the usage invoices of the month before `as_of` (invoicing.usage_rebilling);
5. write invoices, lines, time-note links, events, cursors and the counter, each in one
   statement (rows by COPY: kit.bulk).
The UNIQUE constraints on (assignment, period start) and (client, usage month) are the last
word: if a bug ever let two runs issue one period, the second transaction fails whole, numbers
included.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from billing.catalog.assignments import terms_of
from billing.common import clean_date
from billing.facts.agencies import agency_today, timezone_of
from billing.invoicing import amounts, periods, usage_rebilling
from billing.invoicing.invoices import Draft, Line, issue
from billing.invoicing.numbering import lock_counter
from billing.invoicing.periods import HOURLY, period_containing, today_in
from billing.models import Assignment, CatalogService, ClientFact, TimeNote
from billing.settings import Settings
from kit import permissions
from kit.context import Context
from kit.errors import ValidationError

log = logging.getLogger(__name__)


def run_billing(session: Session, ctx: Context, as_of: Any, settings: Settings) -> dict:
    """Issue every invoice of the caller's agency due by `as_of` (today or earlier in the
    agency's time zone); `{"as_of", "issued", "numbers": [first, last] | None}`."""
    ctx.require(permissions.MANAGE_BILLING)
    as_of = clean_date(as_of, "as_of")
    if as_of > agency_today(session, ctx):
        raise ValidationError("Billing cannot run ahead of today.", {"as_of": "later than today"})
    last = lock_counter(session, ctx.agency)
    drafts, cursors = _due_drafts(session, ctx.agency, as_of)
    drafts += usage_rebilling.usage_drafts(session, ctx.agency, as_of)
    new_last = issue(session, ctx, drafts, as_of, settings.payment_terms_days, last)
    _move_cursors(session, cursors)
    return {
        "as_of": as_of.isoformat(),
        "issued": new_last - last,
        "numbers": [last + 1, new_last] if new_last > last else None,
    }


DUE_COLUMNS = (
    Assignment.id,
    Assignment.client_id,
    Assignment.service_id,
    Assignment.payment_method,
    Assignment.billing_type,
    Assignment.start_date,
    Assignment.end_date,
    Assignment.rate,
    Assignment.currency,
    Assignment.billed_through,
    CatalogService.name.label("service_name"),
    ClientFact.name.label("client_name"),
)


def _due_drafts(session: Session, agency: uuid.UUID, as_of: date):
    # Plain rows, not ORM objects: a run reads thousands and changes them with one UPDATE.
    rows = session.execute(
        select(*DUE_COLUMNS)
        .join(CatalogService, CatalogService.id == Assignment.service_id)
        .join(ClientFact, ClientFact.client_id == Assignment.client_id)
        .where(Assignment.agency_id == agency, Assignment.next_bill_on <= as_of)
        .order_by(Assignment.created_at, Assignment.id)
        .with_for_update(of=Assignment.__table__)
    ).all()
    notes = _uninvoiced_notes(session, [a.id for a in rows if a.billing_type == HOURLY])
    drafts: list[Draft] = []
    cursors: list[tuple[uuid.UUID, date | None, date | None]] = []
    for assignment in rows:
        if assignment.billing_type == HOURLY:
            made, next_on = _hourly_drafts(assignment, notes[assignment.id], as_of)
            billed_through = assignment.billed_through
        else:
            made, billed_through, next_on = _period_drafts(assignment, as_of)
        drafts.extend(made)
        cursors.append((assignment.id, billed_through, next_on))
    return drafts, cursors


def _draft(assignment, period: periods.Period, lines: list[Line]) -> Draft:
    return Draft(
        client_id=assignment.client_id,
        client_name=assignment.client_name,
        payment_method=assignment.payment_method,
        currency=assignment.currency,
        lines=lines,
        assignment_id=assignment.id,
        period_start=period.start,
        period_end=period.end,
    )


def _period_drafts(assignment, as_of: date):
    terms = terms_of(assignment)
    due = periods.due_periods(terms, as_of, assignment.billed_through)
    drafts = []
    for period in due:
        description = "" if period.full else f"Pro rata: {period.days} of 30 days"
        line = Line(
            service_id=assignment.service_id,
            service_name=assignment.service_name,
            amount=amounts.period_amount(assignment.rate, period),
            description=description,
            period_start=period.start,
            period_end=period.end,
        )
        drafts.append(_draft(assignment, period, [line]))
    billed_through = due[-1].end if due else assignment.billed_through
    return drafts, billed_through, periods.next_bill_on(terms, billed_through)


def _uninvoiced_notes(session: Session, assignment_ids: list[uuid.UUID]):
    found: dict[uuid.UUID, list[TimeNote]] = defaultdict(list)
    if assignment_ids:
        notes = session.scalars(
            select(TimeNote)
            .where(TimeNote.assignment_id.in_(assignment_ids), TimeNote.invoice_id.is_(None))
            .order_by(TimeNote.work_date, TimeNote.created_at)
        )
        for note in notes:
            found[note.assignment_id].append(note)
    return found


def _hourly_drafts(assignment, notes: list[TimeNote], as_of: date):
    """One invoice per month due with time in it, a line per note; the next month's day."""
    terms = terms_of(assignment)
    by_period: dict[periods.Period, list[TimeNote]] = defaultdict(list)
    for note in notes:
        by_period[period_containing(terms, note.work_date)].append(note)
    drafts, next_on = [], None
    for period, period_notes in sorted(by_period.items(), key=lambda item: item[0].start):
        if period.bill_on > as_of:
            next_on = period.bill_on if next_on is None else min(next_on, period.bill_on)
            continue
        lines = [
            Line(
                service_id=assignment.service_id,
                service_name=assignment.service_name,
                amount=amounts.hourly_amount(assignment.rate, note.minutes),
                description=note.note,
                period_start=note.work_date,
                period_end=note.work_date,
                minutes=note.minutes,
                time_note_id=note.id,
            )
            for note in period_notes
        ]
        drafts.append(_draft(assignment, period, lines))
    return drafts, next_on


def _move_cursors(session: Session, cursors: list) -> None:
    if not cursors:
        return
    session.execute(
        text(
            "UPDATE assignments SET billed_through = v.billed_through, "
            "next_bill_on = v.next_bill_on "
            "FROM unnest(CAST(:ids AS uuid[]), CAST(:through AS date[]), CAST(:next AS date[])) "
            "AS v(id, billed_through, next_bill_on) WHERE assignments.id = v.id"
        ),
        {
            "ids": [c[0] for c in cursors],
            "through": [c[1] for c in cursors],
            "next": [c[2] for c in cursors],
        },
    )


def agencies_due(session: Session, by: date) -> list[uuid.UUID]:
    """Agencies with an assignment due by `by` (the timer passes tomorrow in UTC, so that every
    time zone's today is covered)."""
    return list(
        session.scalars(
            select(Assignment.agency_id).where(Assignment.next_bill_on <= by).distinct()
        )
    )


def run_due_billing(session: Session, settings: Settings, utc_today: date) -> dict[str, int]:
    """The daily run: for each agency with something due, a run as of its own today, each in
    its own transaction (one agency's failure does not hold back another's)."""
    issued = {}
    with session.begin():
        agencies = agencies_due(session, utc_today + timedelta(days=1))
        agencies += [
            agency
            for agency in usage_rebilling.agencies_with_usage_due(session, utc_today)
            if agency not in agencies
        ]
    for agency in agencies:
        ctx = Context.system(str(agency))
        try:
            with session.begin():
                as_of = today_in(timezone_of(session, agency))
                issued[str(agency)] = run_billing(session, ctx, as_of, settings)["issued"]
        except Exception:
            # The next tick runs it again: a run issues only what is still due.
            log.exception("the billing run of agency %s failed", agency)
    return issued
