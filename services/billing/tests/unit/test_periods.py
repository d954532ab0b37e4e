"""Billing periods for every billing type: cycles, months, ends, leap years, time zones."""

from datetime import UTC, date, datetime

import pytest

from billing.invoicing.periods import (
    ACTIVE,
    ENDED,
    ENDING_TODAY,
    HOURLY,
    IN_ADVANCE,
    IN_ARREARS,
    NOT_STARTED,
    ONE_TIME,
    Period,
    Terms,
    due_periods,
    next_bill_on,
    period_containing,
    status_on,
    today_in,
)


def test_one_time_is_billed_once_on_its_start_day():
    terms = Terms(ONE_TIME, date(2026, 3, 15))
    assert due_periods(terms, date(2026, 3, 14)) == []
    assert due_periods(terms, date(2027, 1, 1)) == [
        Period(date(2026, 3, 15), date(2026, 3, 15), date(2026, 3, 15))
    ]
    assert due_periods(terms, date(2027, 1, 1), billed_through=date(2026, 3, 15)) == []
    assert next_bill_on(terms, billed_through=date(2026, 3, 15)) is None


def test_in_advance_cycles_are_30_days_billed_on_their_first_day_across_month_ends():
    terms = Terms(IN_ADVANCE, date(2026, 1, 31))
    due = due_periods(terms, date(2026, 3, 2))
    assert due == [
        Period(date(2026, 1, 31), date(2026, 3, 1), date(2026, 1, 31)),
        Period(date(2026, 3, 2), date(2026, 3, 31), date(2026, 3, 2)),
    ]
    assert all(p.days == 30 for p in due)


def test_in_arrears_cycle_is_billed_the_day_after_it_ends():
    terms = Terms(IN_ARREARS, date(2026, 1, 31))
    assert due_periods(terms, date(2026, 3, 1)) == []
    assert due_periods(terms, date(2026, 3, 2)) == [
        Period(date(2026, 1, 31), date(2026, 3, 1), date(2026, 3, 2))
    ]


def test_a_cycle_over_a_leap_day_still_has_30_days():
    terms = Terms(IN_ARREARS, date(2028, 2, 10))
    (cycle,) = due_periods(terms, date(2028, 3, 11))
    assert (cycle.start, cycle.end, cycle.bill_on) == (
        date(2028, 2, 10),
        date(2028, 3, 10),
        date(2028, 3, 11),
    )
    assert cycle.days == 30 and cycle.full


def test_an_end_date_cuts_the_last_cycle_short_and_nothing_is_billed_after_it():
    terms = Terms(IN_ARREARS, date(2026, 1, 1), end=date(2026, 2, 10))
    due = due_periods(terms, date(2026, 12, 31))
    assert due == [
        Period(date(2026, 1, 1), date(2026, 1, 30), date(2026, 1, 31)),
        Period(date(2026, 1, 31), date(2026, 2, 10), date(2026, 2, 11), full=False),
    ]
    assert due[1].days == 11
    assert next_bill_on(terms, billed_through=date(2026, 2, 10)) is None


def test_in_advance_short_last_cycle_is_billed_at_its_start():
    terms = Terms(IN_ADVANCE, date(2026, 1, 1), end=date(2026, 2, 4))
    assert due_periods(terms, date(2026, 1, 31))[-1] == Period(
        date(2026, 1, 31), date(2026, 2, 4), date(2026, 1, 31), full=False
    )


def test_billed_through_skips_what_was_invoiced_and_names_the_next_day():
    terms = Terms(IN_ADVANCE, date(2026, 1, 1))
    assert due_periods(terms, date(2026, 3, 5), billed_through=date(2026, 1, 30)) == [
        Period(date(2026, 1, 31), date(2026, 3, 1), date(2026, 1, 31)),
        Period(date(2026, 3, 2), date(2026, 3, 31), date(2026, 3, 2)),
    ]
    assert next_bill_on(terms, billed_through=date(2026, 3, 31)) == date(2026, 4, 1)
    assert next_bill_on(terms) == date(2026, 1, 1)


def test_hourly_periods_are_calendar_months_clipped_to_start_and_end():
    terms = Terms(HOURLY, date(2028, 1, 20), end=date(2028, 3, 10))
    assert due_periods(terms, date(2028, 12, 31)) == [
        Period(date(2028, 1, 20), date(2028, 1, 31), date(2028, 2, 1)),
        Period(date(2028, 2, 1), date(2028, 2, 29), date(2028, 3, 1)),
        Period(date(2028, 3, 1), date(2028, 3, 10), date(2028, 3, 11)),
    ]


def test_hourly_month_across_the_year_end_is_billed_on_new_years_day():
    terms = Terms(HOURLY, date(2026, 12, 5))
    assert period_containing(terms, date(2026, 12, 31)) == Period(
        date(2026, 12, 5), date(2026, 12, 31), date(2027, 1, 1)
    )


def test_period_containing_a_day_outside_the_assignment_is_none():
    terms = Terms(HOURLY, date(2026, 5, 1), end=date(2026, 5, 31))
    assert period_containing(terms, date(2026, 4, 30)) is None
    assert period_containing(terms, date(2026, 6, 1)) is None
    cycles = Terms(IN_ARREARS, date(2026, 1, 1))
    assert period_containing(cycles, date(2026, 2, 15)).start == date(2026, 1, 31)


@pytest.mark.parametrize(
    ("today", "status"),
    [
        (date(2026, 4, 30), NOT_STARTED),
        (date(2026, 5, 1), ACTIVE),
        (date(2026, 5, 30), ACTIVE),
        (date(2026, 5, 31), ENDING_TODAY),
        (date(2026, 6, 1), ENDED),
    ],
)
def test_status_dot_follows_start_and_end(today, status):
    assert status_on(date(2026, 5, 1), date(2026, 5, 31), today) == status


def test_open_ended_assignment_stays_active():
    assert status_on(date(2020, 1, 1), None, date(2030, 1, 1)) == ACTIVE


def test_today_is_the_agency_s_calendar_day_not_utc():
    now = datetime(2026, 3, 1, 2, 30, tzinfo=UTC)  # still 28 February in Los Angeles
    assert today_in("UTC", now) == date(2026, 3, 1)
    assert today_in("America/Los_Angeles", now) == date(2026, 2, 28)
    assert today_in("Pacific/Auckland", datetime(2026, 2, 28, 12, tzinfo=UTC)) == date(2026, 3, 1)


def test_billing_words_are_the_vocabulary_ones():
    from billing.invoicing import periods
    from kit import vocabulary

    assert periods.BILLING_TYPES == vocabulary.BILLING_TYPES
    assert periods.STATUSES == vocabulary.ASSIGNMENT_STATUSES
