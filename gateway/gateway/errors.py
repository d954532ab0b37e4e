"""One table from errors to HTTP, and one JSON body for every API failure:
`{"error": {"code": "...", "message": "...", "fields": {...}}}`.
"""

from __future__ import annotations

import logging

from flask import flash, jsonify, make_response, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError as SchemaError
from nameko.exceptions import RemoteError
from werkzeug.exceptions import HTTPException

from gateway.auth import is_api_request
from gateway.redirects import local_referrer
from kit.errors import DomainError, ServiceUnavailable, Unauthenticated

log = logging.getLogger(__name__)

# Seconds a client is asked to wait when a part of the system cannot be reached.
RETRY_AFTER_SECONDS = 5

# Domain errors carry their own status (kit.errors); these are the gateway's own.
HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "service_unavailable",
}


def error_body(status: int, code: str, message: str, fields: dict | None = None):
    response = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
    response.status_code = status
    return response


def _login_page() -> str:
    return "/portal/login" if request.path.startswith("/portal") else "/login"


def _web_error(status: int, message: str):
    if status == 401:
        return redirect(_login_page())
    return render_template("error.html", status=status, message=message), status


def handle_unavailable(exc: ServiceUnavailable):
    """A part that cannot be reached: 503 with Retry-After, one warning line, never a 500."""
    log.warning("%s %s: service unavailable: %s", request.method, request.path, exc.message)
    if is_api_request():
        response = error_body(503, exc.code, exc.message, exc.fields)
    else:
        page = render_template("unavailable.html", message=exc.message)
        response = make_response(page, 503)
    response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def handle_domain_error(exc: DomainError):
    if isinstance(exc, ServiceUnavailable):
        return handle_unavailable(exc)
    if is_api_request():
        return error_body(exc.http_status, exc.code, exc.message, exc.fields)
    if isinstance(exc, Unauthenticated):
        return redirect(_login_page())
    back = local_referrer(request.referrer, request.host_url)
    if exc.http_status in (409, 422, 402, 429) and request.method == "POST" and back:
        # A form that failed: back to it with the message, nothing changed.
        flash(exc.message, "danger")
        return redirect(back)
    return _web_error(exc.http_status, exc.message)


def handle_schema_error(exc: SchemaError):
    fields = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    unknown = sorted(name for name, msgs in fields.items() if msgs == ["Unknown field."])
    problems = sorted(set(fields) - set(unknown))
    parts = []
    if problems:
        parts.append(f"check {', '.join(problems)}")
    if unknown:
        plural = "s" if len(unknown) > 1 else ""
        parts.append(f"remove the unknown field{plural} {', '.join(unknown)}")
    message = "Some fields are missing or invalid: " + "; ".join(parts) + "."
    return error_body(422, "validation_error", message, fields)


def handle_csrf_error(exc: CSRFError):
    """A form without a valid CSRF token: stale page, or sent from another site."""
    log.info("form refused: %s", exc.description)
    message = "This form has expired or did not come from this site. Reload the page and try again."
    if is_api_request():
        return error_body(400, "csrf_failed", message)
    return _web_error(400, message)


def handle_http_error(exc: HTTPException):
    if exc.code == 503:
        return handle_unavailable(ServiceUnavailable(exc.description or exc.name))
    code = HTTP_CODES.get(exc.code, "error")
    message = exc.description or exc.name
    if is_api_request():
        return error_body(exc.code, code, message)
    return _web_error(exc.code, message)


def handle_unexpected(exc: Exception):
    log.exception("unhandled error on %s %s", request.method, request.path)
    message = "Something went wrong on our side; it has been logged. Please try again."
    if isinstance(exc, RemoteError):
        # Only the type: the remote message can carry SQL parameters (hashes, ciphertexts).
        log.error("remote error: %s", exc.exc_type)
    if is_api_request():
        return error_body(500, "internal_error", message)
    return _web_error(500, message)


def init_app(app) -> None:
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(SchemaError, handle_schema_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected)
