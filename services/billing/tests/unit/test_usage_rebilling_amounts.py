"""Re-billed usage: the month's cost marked up in basis points, rounded half up once; which
month a run bills; the setting's markup rules."""

from datetime import date

import pytest

from billing.invoicing.amounts import with_markup
from billing.invoicing.usage_rebilling import clean_markup, month_before, month_name
from kit.errors import ValidationError


@pytest.mark.parametrize(
    ("cost", "markup_bp", "expected"),
    [
        (12345, 0, 12345),  # at cost: exactly what the balance paid
        (10000, 1000, 11000),  # 10%
        (999, 1250, 1124),  # 12.5% of 9.99 = 11.23875 -> 11.24
        (2, 2500, 3),  # 2.5 -> rounds half up
        (1, 4999, 1),  # 1.4999 -> 1
        (1, 5000, 2),  # 1.5 -> 2
        (12345, 100000, 135795),  # 1000%: eleven times
        (0, 5000, 0),
        (10**12 - 1, 100000, 11 * (10**12 - 1)),  # no float on the way
    ],
)
def test_markup_is_basis_points_of_the_cost_rounded_half_up(cost, markup_bp, expected):
    assert with_markup(cost, markup_bp) == expected


def test_the_markup_rounds_the_months_sum_once_not_each_usage():
    # Three usages of 0.01 at 50%: 0.015 each would round to 0.02 (0.06 in all); the sum 0.03
    # marked up is 0.045 -> 0.05.
    assert with_markup(1 + 1 + 1, 5000) == 5


@pytest.mark.parametrize(("cost", "markup_bp"), [(-1, 0), (100, -1), (100, 100001)])
def test_markup_refuses_a_negative_cost_or_a_markup_out_of_range(cost, markup_bp):
    with pytest.raises(ValueError):
        with_markup(cost, markup_bp)


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        (date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 12, 31), date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 1, 1), date(2025, 12, 1), date(2025, 12, 31)),
        (date(2024, 3, 15), date(2024, 2, 1), date(2024, 2, 29)),
    ],
)
def test_a_run_bills_the_calendar_month_before_its_day(day, first, last):
    assert month_before(day) == (first, last)


def test_the_month_is_named_in_english_whatever_the_locale():
    assert month_name(date(2026, 11, 1)) == "November 2026"


@pytest.mark.parametrize(
    ("mode", "value", "expected"),
    [("markup", 1250, 1250), ("markup", 0, 0), ("markup", 100000, 100000), ("at_cost", None, 0)],
)
def test_a_markup_is_0_to_1000_percent_and_only_with_mode_markup(mode, value, expected):
    assert clean_markup(mode, value) == expected


@pytest.mark.parametrize(
    ("mode", "value"),
    [
        ("markup", None),
        ("markup", 100001),
        ("markup", -1),
        ("markup", 12.5),
        ("markup", "1250"),
        ("markup", True),
        ("at_cost", 1250),
        ("off", 500),
    ],
)
def test_a_bad_markup_is_a_field_error(mode, value):
    with pytest.raises(ValidationError) as refused:
        clean_markup(mode, value)
    assert "markup_basis_points" in refused.value.fields
