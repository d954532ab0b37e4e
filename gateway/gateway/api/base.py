"""What every API view uses: the blueprint, JSON input validated by a marshmallow schema, and
JSON output.

Views name the schema class (`query_args(ClientListQuery)`): one instance of each is built the
first time and reused (building one copies every field: a tenth of a request's time in the
gateway); loading does not change a schema, so threads share it.
"""

from __future__ import annotations

import functools

from flask import Blueprint, request
from marshmallow import Schema
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

api = Blueprint("api", __name__, url_prefix="/api/v1")


@functools.cache
def _instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


def _schema(schema: Schema | type[Schema]) -> Schema:
    return _instance(schema) if isinstance(schema, type) else schema


def json_body(schema: Schema | type[Schema]) -> dict:
    """The request's JSON body, loaded (validated) by `schema`; a clear 4xx otherwise."""
    if not request.is_json:
        raise UnsupportedMediaType("Send a JSON body with 'Content-Type: application/json'.")
    # Its depth and text were checked before the view (input_checks.refuse_unsafe_text).
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest("The request body is not valid JSON.")
    if not isinstance(data, dict):
        raise BadRequest("The JSON body must be an object.")
    return _schema(schema).load(data)


def query_args(schema: Schema | type[Schema]) -> dict:
    """Query-string arguments loaded (validated) by `schema`."""
    return _schema(schema).load(request.args.to_dict())
