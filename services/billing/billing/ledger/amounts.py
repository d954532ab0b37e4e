"""Pure rules of the ledger's amounts: what an amount may be, whether a balance covers a draw,
when a balance is low, running balances and CSV cells. No database, no nameko."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kit.errors import ValidationError

MAX_AMOUNT = 10**12  # ten billion in a two-decimal currency: past any real balance
MIN_TOPUP = 2500  # $25: the least a card top-up or a customer's starting balance may be
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def positive_amount(value: Any, field: str = "amount") -> int:
    """A whole number of minor units above zero (1250 is 12.50); anything else: a field error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field} must be a whole number of minor units (1250 for 12.50).",
            {field: "not a whole number of minor units"},
        )
    if value <= 0:
        raise ValidationError(f"{field} must be more than zero.", {field: "must be more than 0"})
    if value >= MAX_AMOUNT:
        raise ValidationError(f"{field} is too large.", {field: "too large"})
    return value


def topup_amount(value: Any, field: str = "amount", minimum: int = MIN_TOPUP) -> int:
    """A card payment into a balance: at least `minimum` ($25)."""
    amount = positive_amount(value, field)
    if amount < minimum:
        raise ValidationError(
            f"{field} must be at least {minimum / 100:.2f}.",
            {field: f"at least {minimum} minor units"},
        )
    return amount


def covers(balance: int, amount: int) -> bool:
    """Does a balance cover a draw of `amount`? A balance never goes below zero."""
    return balance >= amount


def newly_low(balance_after: int, threshold: int, already_notified: bool) -> bool:
    """Should `balance_low` go out now: below the threshold, and not said since it last was not."""
    return threshold > 0 and balance_after < threshold and not already_notified


def running_balances(entries: Iterable[int], opening: int = 0) -> list[int]:
    """The balance after each signed entry (credits positive, debits negative), in order."""
    balances, balance = [], opening
    for entry in entries:
        balance += entry
        balances.append(balance)
    return balances


def csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: text starting with = + - @ (or a tab or carriage
    return) gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def decimal_text(amount: int) -> str:
    """Minor units as a two-decimal figure without floats: -1205 is -12.05."""
    sign = "-" if amount < 0 else ""
    whole, cents = divmod(abs(amount), 100)
    return f"{sign}{whole}.{cents:02d}"
