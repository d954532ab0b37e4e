"""Checks of the inputs people type: e-mail addresses, names, ids. Each raises ValidationError
naming the field, and `FieldErrors` collects several into one answer."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from kit.errors import NotFound, ValidationError

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$")
MAX_EMAIL = 254


def clean_email(value: Any, field: str = "email") -> str:
    """The address trimmed; its case is kept, uniqueness is checked case-insensitively."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationError("An e-mail address is required.", {field: "Enter an e-mail address."})
    if len(text) > MAX_EMAIL or not EMAIL_RE.match(text):
        raise ValidationError(
            f"{text!r} is not an e-mail address.", {field: "Enter a valid e-mail address."}
        )
    return text


def clean_name(value: Any, field: str = "name", max_length: int = 100) -> str:
    """A person's, agency's or role's name: trimmed, not empty, not too long."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise ValidationError("A name is required.", {field: "Enter a name."})
    if len(text) > max_length:
        raise ValidationError(
            f"The name is longer than {max_length} characters.",
            {field: f"Use at most {max_length} characters."},
        )
    return text


def parse_id(value: Any, what: str = "record") -> uuid.UUID:
    """An id from the caller; one that is not even a UUID is simply not found."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"No such {what}.") from None


def parse_field_id(value: Any, field: str) -> uuid.UUID:
    """An id given in a form field: a malformed one is a field error."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError(f"{field} is not a valid id.", {field: "Not a valid id."}) from None


class FieldErrors:
    """Runs several field checks and raises one ValidationError holding every failure."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def check(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            self.fields.update(exc.fields)
            return None

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationError("Please correct the marked fields.", self.fields)
