"""Checks every request passes before a view sees it: text without NUL characters (PostgreSQL
refuses them; a person never means one), JSON that is not absurdly nested, and, for the API
used with a session cookie, proof that the request did not come from another site's form."""

from __future__ import annotations

import re

from flask import request
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms.validators import ValidationError

from kit.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Ending your own session is all another site could make these do.
HARMLESS = frozenset({"api.logout"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


def reject_nul_characters() -> None:
    """A 400 when a query argument, form field or JSON body holds a NUL character."""
    if "\x00" in request.query_string.decode("latin-1") or any(
        "\x00" in value for value in request.args.values()
    ):
        raise BadRequest("Text may not contain NUL characters (in the query string).")
    if request.method in SAFE_METHODS:
        return
    if request.is_json:
        body = request.get_data(cache=True)
        if b"\x00" in body or _JSON_NUL.search(body):
            raise BadRequest("Text may not contain NUL characters (in the JSON body).")
    elif request.mimetype in FORM_TYPES and any("\x00" in v for v in request.form.values()):
        # Uploaded files may be binary; only the typed fields are text.
        raise BadRequest("Text may not contain NUL characters (in the form).")


def require_same_site_api_call() -> None:
    """An unsafe API call authenticated by the session cookie must be JSON (which another site
    cannot send without CORS) or carry the page's CSRF token in `X-CSRFToken`."""
    if request.method in SAFE_METHODS or request.is_json or request.endpoint in HARMLESS:
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as exc:
        raise PermissionDenied(
            "With a session cookie, send JSON ('Content-Type: application/json') or the page's "
            "CSRF token in an 'X-CSRFToken' header; integrators use an API token instead.",
            {"csrf": str(exc)},
        ) from None
