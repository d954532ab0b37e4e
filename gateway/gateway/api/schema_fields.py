"""What the API's schemas (and the page forms read with them) are made of, so each rule and
each message is written once: the kit's field messages (kit.validation) on every field and
validator, its e-mail rule as a field, and an id given in a body.

Ids in a path are not checked here: a malformed or unknown one is the service's "not found".
"""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow
from marshmallow import ValidationError, fields, validate

from kit import validation

# The kit's message for a field of this type that is given something else.
INVALID = {fields.String: validation.NOT_TEXT, fields.Integer: validation.NOT_A_NUMBER}


class Schema(marshmallow.Schema):
    """A marshmallow schema whose fields answer with the kit's field messages."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        """Give the field the kit's messages for a missing and a wrongly typed value."""
        messages = {"required": validation.REQUIRED, "null": validation.REQUIRED}
        for kind, message in INVALID.items():
            if isinstance(field_obj, kind):
                messages["invalid"] = message
        field_obj.error_messages = {**field_obj.error_messages, **messages}


class Length(validate.Length):
    """A text's length, refused with the kit's messages (empty is "fill in", long is "too long")."""

    def __call__(self, value: Any) -> Any:
        if self.min is not None and len(value) < self.min:
            raise ValidationError(
                validation.REQUIRED if self.min <= 1 else f"Enter at least {self.min} characters."
            )
        if self.max is not None and len(value) > self.max:
            raise ValidationError(validation.too_long(self.max))
        return value


class OneOf(validate.OneOf):
    """One of a fixed list, refused with the kit's message naming the list."""

    def __init__(self, choices: Any) -> None:
        super().__init__(choices, error=validation.choose_one(list(choices)))


class Range(validate.Range):
    """A number within bounds, refused with a message naming them."""

    def __init__(self, min: int, max: int) -> None:
        super().__init__(min=min, max=max, error="Choose a number from {min} to {max}.")


class Email(fields.Str):
    """An e-mail address by the kit's one rule (kit.validation.normalise_email), loaded in its
    stored form."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"format": "email", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validation.normalise_email(text)
        except validation.InvalidValue as exc:
            raise ValidationError(exc.message) from None


class Id(fields.Str):
    """An id in a body: a malformed one is an error on its field (422); whether it names
    something of the caller's agency is the service's to say. Loaded as the text, for RPC."""

    default_error_messages = {"invalid_id": validation.INVALID_ID}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            uuid.UUID(text)
        except ValueError:
            raise self.make_error("invalid_id") from None
        return text


class IsoDate(fields.Date):
    """A `YYYY-MM-DD` date, checked here and loaded as that text, for RPC."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("error_messages", {"invalid": "Enter a date as YYYY-MM-DD."})
        super().__init__(format="%Y-%m-%d", **kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).isoformat()
