"""Money of periods and time notes: integer minor units, pro rata and hourly rounding."""

from datetime import date

import pytest

from billing.invoicing.amounts import divide_half_up, hourly_amount, period_amount, prorate
from billing.invoicing.periods import Period


def test_full_cycle_costs_the_rate_exactly():
    assert prorate(9999, 30) == 9999


@pytest.mark.parametrize(
    ("rate", "days", "expected"),
    [
        (3000, 10, 1000),  # exact
        (1000, 1, 33),  # 33.33 -> 33
        (1000, 2, 67),  # 66.67 -> 67
        (100, 3, 10),  # exact
        (1, 15, 1),  # 0.5 -> rounds half up
        (1, 14, 0),  # 0.4667 -> 0
    ],
)
def test_pro_rata_is_rate_times_days_over_30_rounded_half_up(rate, days, expected):
    assert prorate(rate, days) == expected


def test_pro_rata_refuses_a_cycle_of_no_days_or_too_many():
    with pytest.raises(ValueError):
        prorate(1000, 0)
    with pytest.raises(ValueError):
        prorate(1000, 31)


def test_period_amount_prorates_only_a_short_period():
    full = Period(date(2026, 1, 1), date(2026, 1, 30), date(2026, 1, 1))
    short = Period(date(2026, 1, 1), date(2026, 1, 11), date(2026, 1, 1), full=False)
    assert period_amount(5000, full) == 5000
    assert period_amount(5000, short) == 1833  # 5000 * 11 / 30 = 1833.33


@pytest.mark.parametrize(
    ("rate", "minutes", "expected"),
    [
        (12000, 60, 12000),
        (12000, 90, 18000),
        (10000, 1, 167),  # 166.67
        (9999, 30, 5000),  # 4999.5 -> half up
        (7, 5, 1),  # 0.583
    ],
)
def test_hourly_line_is_rate_times_minutes_over_60_rounded_half_up(rate, minutes, expected):
    assert hourly_amount(rate, minutes) == expected


def test_hourly_amount_refuses_no_time():
    with pytest.raises(ValueError):
        hourly_amount(1000, 0)


def test_divide_half_up_refuses_negative_amounts():
    with pytest.raises(ValueError):
        divide_half_up(-1, 2)
    assert divide_half_up(5, 2) == 3
