"""What a period or a time note costs: integer minor units in, integer minor units out.

Rules (docs/contracts.md, "billing"): a full cycle costs the rate. A cycle cut short by the end
date costs `rate * days / 30`, rounded half up to the minor unit (`prorate`). A time note costs
`hourly rate * minutes / 60`, rounded half up to the minor unit, note by note (`hourly_amount`);
an hourly invoice's total is the sum of its notes' lines, so each line a client reads adds up.
Re-billed usage costs what the agency's balance paid for it, plus the agency's markup in basis
points (1250 is 12.5%), the month's sum marked up once and rounded half up (`with_markup`).
"""

from __future__ import annotations

from billing.invoicing.periods import CYCLE_DAYS, Period


def divide_half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to the nearest integer, halves up (both non-negative)."""
    if numerator < 0 or denominator <= 0:
        raise ValueError("divide_half_up takes a non-negative numerator and a positive denominator")
    return (2 * numerator + denominator) // (2 * denominator)


def prorate(rate: int, days: int, cycle_days: int = CYCLE_DAYS) -> int:
    """The part of a cycle's `rate` for `days` of it (all of it for a full cycle)."""
    if not 0 < days <= cycle_days:
        raise ValueError(f"a cycle has 1 to {cycle_days} days, not {days}")
    return rate if days == cycle_days else divide_half_up(rate * days, cycle_days)


def period_amount(rate: int, period: Period) -> int:
    """What a recurring or one-time period costs at `rate` per cycle."""
    return rate if period.full else prorate(rate, period.days)


def hourly_amount(hourly_rate: int, minutes: int) -> int:
    """What `minutes` of work cost at `hourly_rate` per hour."""
    if minutes <= 0:
        raise ValueError("a time note lasts at least a minute")
    return divide_half_up(hourly_rate * minutes, 60)


BASIS_POINTS = 10_000  # 100%
MAX_MARKUP_BP = 100_000  # 1000%


def with_markup(cost: int, markup_bp: int) -> int:
    """`cost` plus `markup_bp` basis points of it, rounded half up to the minor unit (0: at
    cost)."""
    if cost < 0 or not 0 <= markup_bp <= MAX_MARKUP_BP:
        raise ValueError(f"a cost >= 0 and a markup of 0 to {MAX_MARKUP_BP} basis points")
    return divide_half_up(cost * (BASIS_POINTS + markup_bp), BASIS_POINTS)
