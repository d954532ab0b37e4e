"""What every API view uses: the blueprint, JSON input validated by a marshmallow schema, and
JSON output."""

from __future__ import annotations

from flask import Blueprint, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

api = Blueprint("api", __name__, url_prefix="/api/v1")


def json_body(schema: Schema) -> dict:
    """The request's JSON body, loaded (validated) by `schema`; a clear 4xx otherwise."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with 'Content-Type: application/json'.")
    # Its depth and text were checked before the view (input_checks.refuse_unsafe_text).
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    return schema.load(data)


def query_args(schema: Schema) -> dict:
    """Query-string arguments loaded (validated) by `schema`."""
    return schema.load(request.args.to_dict())
