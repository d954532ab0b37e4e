"""Pure rules of the ledger's amounts: what a card top-up may be (any amount is
billing.common.clean_amount), whether a balance covers a draw, when a balance is low, running
balances and CSV cells. No database, no nameko."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from billing.common import clean_amount
from kit.errors import ValidationError

MIN_TOPUP = 2500  # $25: the least a card top-up or a customer's starting balance may be
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def topup_amount(value: Any, field: str = "amount", minimum: int = MIN_TOPUP) -> int:
    """A card payment into a balance: at least `minimum` ($25)."""
    amount = clean_amount(value, field, positive=True)
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
