"""Cleaning what a caller sent: text fields and choices, and times as the contracts write them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from kit.errors import ValidationError
from kit.validation import NO_NUL, NOT_TEXT, REQUIRED, choose_one, too_long


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def refuse_nul(value: str, field: str) -> str:
    """`value`, unless it holds a NUL character, which PostgreSQL cannot store (a 500 otherwise).
    The gateway refuses NUL already; other callers (imports, other services) may not."""
    if "\x00" in value:
        raise ValidationError(f"{field} contains a NUL character.", {field: NO_NUL})
    return value


def clean_text(value: Any, field: str, max_length: int, required: bool = False) -> str:
    """A stripped string no longer than `max_length`; '' for None."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text.", {field: NOT_TEXT})
    value = refuse_nul(value, field).strip()
    if required and not value:
        raise ValidationError(f"{field} is required.", {field: REQUIRED})
    if len(value) > max_length:
        raise ValidationError(
            f"{field} is longer than {max_length} characters.",
            {field: too_long(max_length)},
        )
    return value


def one_of(value: Any, allowed: Iterable[str], field: str = "status") -> Any:
    """`value` if it is one of `allowed`, else a ValidationError on `field`."""
    allowed = tuple(allowed)
    if value not in allowed:
        raise ValidationError(
            f"{field} must be one of {', '.join(a for a in allowed if a)}.",
            {field: choose_one([a for a in allowed if a])},
        )
    return value
