"""Marshmallow fields the API's schemas (and the page forms read with them) share, so a rule
is written once: an id given in a body.

Ids in a path are not checked here: a malformed or unknown one is the service's "not found".
"""

from __future__ import annotations

import uuid
from typing import Any

from marshmallow import fields


class Id(fields.Str):
    """An id in a body: a malformed one is an error on its field (422); whether it names
    something of the caller's agency is the service's to say. Loaded as the text, for RPC."""

    default_error_messages = {"invalid_id": "Not a valid id."}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            uuid.UUID(text)
        except ValueError:
            raise self.make_error("invalid_id") from None
        return text
