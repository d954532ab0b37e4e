"""Time notes on hourly assignments: date, duration in minutes, note, by a team member.

A note is dated inside its assignment, not in the future, and not in a month already invoiced;
once its month's invoice is issued it can no longer change. Logging time moves the assignment's
`next_bill_on` to the day that month falls due. Writers lock the assignment row, as the billing
run does, so a note never slips in beside a month being invoiced.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from billing.catalog.assignments import find_assignment, terms_of
from billing.common import MAX_NOTE, clean_date, day, may_read_catalog
from billing.facts.agencies import agency_today
from billing.invoicing.periods import HOURLY, period_containing
from billing.models import Assignment, Invoice, TimeNote
from kit import permissions
from kit.context import Context
from kit.errors import Conflict, NotFound, ValidationError
from kit.ids import parse_id
from kit.inputs import clean_text, iso

MAX_MINUTES = 24 * 60


def time_note_dict(note: TimeNote) -> dict:
    return {
        "id": str(note.id),
        "assignment_id": str(note.assignment_id),
        "work_date": day(note.work_date),
        "minutes": note.minutes,
        "note": note.note,
        "logged_by": note.logged_by,
        "invoice_id": str(note.invoice_id) if note.invoice_id else None,
        "created_at": iso(note.created_at),
    }


def clean_minutes(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_MINUTES:
        raise ValidationError(
            f"The duration is a whole number of minutes from 1 to {MAX_MINUTES}.",
            {"minutes": f"1 to {MAX_MINUTES} minutes"},
        )
    return value


def hourly_next_bill_on(session: Session, assignment: Assignment) -> date | None:
    """The day the earliest month with uninvoiced time falls due (None: nothing to bill)."""
    first = session.scalar(
        select(func.min(TimeNote.work_date)).where(
            TimeNote.assignment_id == assignment.id, TimeNote.invoice_id.is_(None)
        )
    )
    return period_containing(terms_of(assignment), first).bill_on if first else None


def _check_date(session: Session, ctx: Context, assignment: Assignment, value: Any) -> date:
    work_date = clean_date(value, "work_date")
    period = period_containing(terms_of(assignment), work_date)
    if period is None:
        raise ValidationError(
            "The date is outside the assignment.", {"work_date": "outside the assignment"}
        )
    if work_date > agency_today(session, ctx):
        raise ValidationError("Time cannot be logged ahead.", {"work_date": "in the future"})
    invoiced = session.scalar(
        select(
            exists().where(
                Invoice.assignment_id == assignment.id, Invoice.period_start == period.start
            )
        )
    )
    if invoiced:
        raise ValidationError(
            "That month is invoiced already.", {"work_date": "its month is invoiced"}
        )
    return work_date


def _hourly(session: Session, ctx: Context, assignment_id: Any) -> Assignment:
    assignment = find_assignment(session, ctx, assignment_id, lock=True)
    if assignment.billing_type != HOURLY:
        raise ValidationError(
            "Time notes are for hourly assignments only.",
            {"assignment_id": "not an hourly assignment"},
        )
    return assignment


def log_time(
    session: Session,
    ctx: Context,
    assignment_id: Any,
    work_date: Any,
    minutes: Any,
    note: Any = None,
) -> dict:
    """Record time spent on an hourly assignment."""
    ctx.require(permissions.MANAGE_SERVICES)
    assignment = _hourly(session, ctx, assignment_id)
    entry = TimeNote(
        agency_id=ctx.agency,
        assignment_id=assignment.id,
        work_date=_check_date(session, ctx, assignment, work_date),
        minutes=clean_minutes(minutes),
        note=clean_text(note, "note", MAX_NOTE),
        logged_by=ctx.principal_id,
    )
    session.add(entry)
    session.flush()
    assignment.next_bill_on = hourly_next_bill_on(session, assignment)
    return time_note_dict(entry)


def _open_note(session: Session, ctx: Context, note_id: Any) -> tuple[TimeNote, Assignment]:
    note = session.get(TimeNote, parse_id(note_id, "time note"))
    if note is None or note.agency_id != ctx.agency:
        raise NotFound("No such time note.")
    assignment = _hourly(session, ctx, note.assignment_id)
    session.refresh(note)
    if note.invoice_id is not None:
        raise Conflict("The time note is invoiced and can no longer change.")
    return note, assignment


def update_time_note(session: Session, ctx: Context, note_id: Any, **changes: Any) -> dict:
    """Change a time note's date, minutes or note, while it is not invoiced."""
    ctx.require(permissions.MANAGE_SERVICES)
    unknown = set(changes) - {"work_date", "minutes", "note"}
    if unknown:
        raise ValidationError(
            f"Cannot change {', '.join(sorted(unknown))}.", dict.fromkeys(unknown, "unknown")
        )
    note, assignment = _open_note(session, ctx, note_id)
    if "work_date" in changes:
        note.work_date = _check_date(session, ctx, assignment, changes["work_date"])
    if "minutes" in changes:
        note.minutes = clean_minutes(changes["minutes"])
    if "note" in changes:
        note.note = clean_text(changes["note"], "note", MAX_NOTE)
    session.flush()
    assignment.next_bill_on = hourly_next_bill_on(session, assignment)
    return time_note_dict(note)


def delete_time_note(session: Session, ctx: Context, note_id: Any) -> None:
    """Delete a time note that is not invoiced."""
    ctx.require(permissions.MANAGE_SERVICES)
    note, assignment = _open_note(session, ctx, note_id)
    session.delete(note)
    session.flush()
    assignment.next_bill_on = hourly_next_bill_on(session, assignment)


def list_time_notes(session: Session, ctx: Context, assignment_id: Any) -> list[dict]:
    """The assignment's time notes by date."""
    may_read_catalog(ctx)
    assignment = find_assignment(session, ctx, assignment_id)
    notes = session.scalars(
        select(TimeNote)
        .where(TimeNote.assignment_id == assignment.id)
        .order_by(TimeNote.work_date, TimeNote.created_at)
    )
    return [time_note_dict(note) for note in notes]
