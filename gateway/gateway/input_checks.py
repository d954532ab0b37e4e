"""Checks every request passes before a view sees it: text without NUL characters (PostgreSQL
refuses them; a person never means one) or lone surrogates, JSON that is not absurdly nested,
and, for the API used with a session cookie, proof that the request did not come from another
site's form."""

from __future__ import annotations

import json
import re

from flask import request
from flask_wtf.csrf import validate_csrf
from werkzeug.exceptions import BadRequest
from wtforms.validators import ValidationError

from kit.errors import PermissionDenied

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# NUL: PostgreSQL refuses it in text. A lone UTF-16 surrogate (JSON's "\\ud800") is no character
# at all: it cannot be encoded as UTF-8, so it would fail on the way to a service.
_UNSAFE_TEXT = re.compile("[\x00\ud800-\udfff]")
# Deeper than any body of this API; far below what would exhaust Python's recursion limit.
MAX_JSON_DEPTH = 32


def refuse_unsafe_text() -> None:
    """A 400 when text entering the gateway holds a NUL character or a lone surrogate: query
    arguments, JSON bodies (keys and values, nested no deeper than MAX_JSON_DEPTH), form fields
    and uploaded files' names. Files' contents may be binary; their readers check them."""
    if "\x00" in request.query_string.decode("latin-1"):
        raise _refused("the query string")
    _check_pairs(request.args.items(multi=True), "the query string")
    if request.method in SAFE_METHODS:
        return
    if request.is_json:
        try:
            data = request.get_json(silent=True)
        except RecursionError:
            raise BadRequest("The JSON body is nested too deeply.") from None
        _check_json(data, "the JSON body")
    elif request.mimetype in FORM_TYPES:
        _check_pairs(request.form.items(multi=True), "the form")
        names = [(key, upload.filename or "") for key, upload in request.files.items(multi=True)]
        _check_pairs(names, "a file name")


def load_json_text(text: str, what: str):
    """JSON sent inside a form field, parsed with the same limits as a JSON body."""
    try:
        data = json.loads(text)
    except RecursionError:
        raise BadRequest(f"{what} is nested too deeply.") from None
    _check_json(data, what)
    return data


def _refused(where: str) -> BadRequest:
    return BadRequest(
        f"Text may not contain NUL characters or lone UTF-16 surrogates (in {where})."
    )


def _check_pairs(pairs, where: str) -> None:
    for key, value in pairs:
        if _UNSAFE_TEXT.search(key) or _UNSAFE_TEXT.search(value):
            raise _refused(where)


def _check_json(data, where: str) -> None:
    """Walk the document without recursion (its depth is what is being checked)."""
    pending = [(data, 0)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if _UNSAFE_TEXT.search(value):
                raise _refused(where)
        elif isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise BadRequest(f"{where[0].upper()}{where[1:]} is nested too deeply.")
            if isinstance(value, dict):
                pending.extend((key, depth + 1) for key in value)
                pending.extend((item, depth + 1) for item in value.values())
            else:
                pending.extend((item, depth + 1) for item in value)


def require_same_site_api_call() -> None:
    """An unsafe API call authenticated by the session cookie must be JSON (which another site
    cannot send without CORS) or carry the page's CSRF token in `X-CSRFToken`."""
    # Logout too: a forced logout from another site is a nuisance an attacker can chain.
    if request.method in SAFE_METHODS or request.is_json:
        return
    try:
        validate_csrf(request.headers.get("X-CSRFToken"))
    except ValidationError as exc:
        raise PermissionDenied(
            "With a session cookie, send JSON ('Content-Type: application/json') or the page's "
            "CSRF token in an 'X-CSRFToken' header; integrators use an API token instead.",
            {"csrf": str(exc)},
        ) from None
