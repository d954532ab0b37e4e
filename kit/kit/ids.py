"""Ids and one-time tokens as every service reads them.

The rule (docs/contracts.md): a malformed or unknown id in a path is "not found"; a malformed id in
a body is a field error on that field.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from kit.errors import NotFound, ValidationError
from kit.validation import INVALID_ID


def parse_id(value: Any, what: str = "record") -> uuid.UUID:
    """An id naming the thing asked for; one that is not even a UUID is simply not found."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise NotFound(f"No such {what}.") from None


def parse_field_id(value: Any, field: str) -> uuid.UUID:
    """An id given in a form or body field: a malformed one is an error on that field."""
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError, AttributeError):
        raise ValidationError(f"{field} is not a valid id.", {field: INVALID_ID}) from None


def hash_token(token: str) -> str:
    """The hex sha256 kept in the database; a random token needs no salt or slow hash."""
    return hashlib.sha256(str(token).encode()).hexdigest()
