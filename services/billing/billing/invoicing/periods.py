"""Billing periods: which stretch of days each invoice of an assignment covers, and when it is due.

Pure functions of dates; no database. The rules (docs/contracts.md, "billing"):
- Dates are the agency's calendar days; `today_in(timezone)` says which day it is there.
  An assignment runs from `start` to `end` inclusive (no `end`: open-ended).
- `one_time`: one period, the start day, billed on the start day.
- `recurring_in_advance` / `recurring_in_arrears`: 30-day cycles from the start day
  (start, start+30, ...). In advance, a cycle is billed on its first day; in arrears, on the day
  after its last. A cycle cut short by the end date covers only its days up to `end` and is billed
  pro rata (invoicing.amounts.prorate); in arrears it is then billed the day after `end`.
- `hourly`: calendar months (the first clipped to the start, the last to the end), billed on the
  day after the period's last day, with the time notes dated inside it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

ONE_TIME = "one_time"
IN_ADVANCE = "recurring_in_advance"
IN_ARREARS = "recurring_in_arrears"
HOURLY = "hourly"
# The same words as kit.vocabulary.BILLING_TYPES (tests/unit/test_periods.py checks it).
BILLING_TYPES = (ONE_TIME, IN_ADVANCE, IN_ARREARS, HOURLY)
RECURRING = (IN_ADVANCE, IN_ARREARS)
CYCLE_DAYS = 30
DAY = timedelta(days=1)

NOT_STARTED, ACTIVE, ENDING_TODAY, ENDED = "not_started", "active", "ending_today", "ended"
STATUSES = (NOT_STARTED, ACTIVE, ENDING_TODAY, ENDED)


@dataclass(frozen=True)
class Terms:
    """What periods depend on: an assignment's billing type and its first and last day."""

    billing_type: str
    start: date
    end: date | None = None


@dataclass(frozen=True)
class Period:
    """Days `start`..`end` inclusive, billed on `bill_on`; `full` unless cut short by the end."""

    start: date
    end: date
    bill_on: date
    full: bool = True

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def today_in(timezone: str, now: datetime | None = None) -> date:
    """The calendar day it is in `timezone` at `now` (an aware datetime; default: now)."""
    zone = ZoneInfo(timezone)
    return (now.astimezone(zone) if now else datetime.now(zone)).date()


def status_on(start: date, end: date | None, today: date) -> str:
    """The assignment's status dot on `today`: not_started, active, ending_today or ended."""
    if today < start:
        return NOT_STARTED
    if end is not None and today == end:
        return ENDING_TODAY
    if end is not None and today > end:
        return ENDED
    return ACTIVE


def periods(terms: Terms) -> Iterator[Period]:
    """Every period of the assignment in order (endless for an open-ended recurring one)."""
    if terms.billing_type == ONE_TIME:
        yield Period(terms.start, terms.start, terms.start)
    elif terms.billing_type in RECURRING:
        yield from _cycles(terms)
    elif terms.billing_type == HOURLY:
        yield from _months(terms)
    else:
        raise ValueError(f"unknown billing type {terms.billing_type!r}")


def _cycles(terms: Terms) -> Iterator[Period]:
    start = terms.start
    while terms.end is None or start <= terms.end:
        end = start + (CYCLE_DAYS - 1) * DAY
        full = terms.end is None or end <= terms.end
        if not full:
            end = terms.end
        bill_on = start if terms.billing_type == IN_ADVANCE else end + DAY
        yield Period(start, end, bill_on, full)
        start = start + CYCLE_DAYS * DAY


def _months(terms: Terms) -> Iterator[Period]:
    start = terms.start
    while terms.end is None or start <= terms.end:
        end = month_end(start)
        if terms.end is not None and end > terms.end:
            end = terms.end
        yield Period(start, end, end + DAY)
        start = end + DAY


def month_end(day: date) -> date:
    """The last day of `day`'s month."""
    first_of_next = (day.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first_of_next - DAY


def period_containing(terms: Terms, day: date) -> Period | None:
    """The period `day` falls in (None before the start or after the end)."""
    if day < terms.start or (terms.end is not None and day > terms.end):
        return None
    if terms.billing_type == HOURLY:
        start = max(day.replace(day=1), terms.start)
        end = month_end(day) if terms.end is None else min(month_end(day), terms.end)
        return Period(start, end, end + DAY)
    for period in periods(terms):
        if period.start <= day <= period.end:
            return period
    return None


def due_periods(terms: Terms, as_of: date, billed_through: date | None = None) -> list[Period]:
    """The periods after `billed_through` (the last day already invoiced) due by `as_of`."""
    due = []
    for period in periods(terms):
        if period.bill_on > as_of:
            break
        if billed_through is None or period.start > billed_through:
            due.append(period)
    return due


def next_bill_on(terms: Terms, billed_through: date | None = None) -> date | None:
    """The day the first period after `billed_through` is due; None when none is left.

    Hourly periods are billed only when they hold time notes: their next day is set by the notes
    (invoicing.runs), not here."""
    for period in periods(terms):
        if billed_through is None or period.start > billed_through:
            return period.bill_on
    return None
