"""What the billing modules share: who may read and change what, and cleaning dates and money."""

from __future__ import annotations

from datetime import date
from typing import Any

from kit import permissions
from kit.context import Context
from kit.errors import ValidationError
from kit.money import Money

# Reading the catalog, assignments and time notes: whoever manages services, sees billing or
# sees clients (an account manager looks at what a client has). Changing them: manage_services.
CATALOG_READERS = (permissions.MANAGE_SERVICES, permissions.VIEW_BILLING, permissions.VIEW_CLIENTS)
MAX_AMOUNT = 10**12  # ten billion in a two-decimal currency: past any real price or balance
MAX_NOTE = 2000


def may_read_catalog(ctx: Context) -> None:
    ctx.require_any(*CATALOG_READERS)


def clean_date(value: Any, field: str, required: bool = True) -> date | None:
    """A calendar day from an ISO string (`2026-03-01`) or a date."""
    if value is None or value == "":
        if required:
            raise ValidationError(f"{field} is required.", {field: "is required"})
        return None
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            f"{field} is not a date.", {field: "Use a date like 2026-03-01."}
        ) from None


def clean_amount(value: Any, field: str = "amount", *, positive: bool = False) -> int:
    """A whole number of minor units (1250 is 12.50), not negative (`positive`: above zero) and
    below MAX_AMOUNT; anything else: a field error."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            f"{field} must be a whole number of minor units (1250 for 12.50).",
            {field: "not a whole number of minor units"},
        )
    if positive and value <= 0:
        raise ValidationError(f"{field} must be more than zero.", {field: "must be more than 0"})
    if value < 0:
        raise ValidationError(f"{field} cannot be negative.", {field: "cannot be negative"})
    if value >= MAX_AMOUNT:
        raise ValidationError(f"{field} is too large.", {field: "too large"})
    return value


def clean_currency(value: Any, field: str = "currency") -> str:
    try:
        return Money(0, str(value or "USD")).currency
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a currency code.", {field: "Use a code like USD."}
        ) from None


def money(amount: int, currency: str) -> dict:
    return Money(amount, currency).to_dict()


def day(value: date | None) -> str | None:
    return value.isoformat() if value else None
