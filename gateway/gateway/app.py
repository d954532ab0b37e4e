"""The gateway's app factory: web UI, client portal and /api/v1 over the services' RPC.

No business logic lives here: views validate input, call a service, render the answer.
"""

from __future__ import annotations

import importlib
import logging
import re
import time
import uuid

from flask import Flask, g, request
from flask_wtf.csrf import CSRFProtect

from gateway import auth, errors, input_checks, metrics, read_only, rpc
from gateway.config import from_env
from gateway.proxies import TrustedProxies, from_trusted_proxy
from gateway.security_headers import add_security_headers
from gateway.sessions import CookieSessions
from kit import permissions
from kit.logs import configure as configure_logging
from kit.logs import set_request_id

csrf = CSRFProtect()

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
access_log = logging.getLogger("gateway.access")

# Each area is a module with a blueprint named `bp` (web) or routes on `api.base.api`.
WEB_AREAS = [
    "health",
    "metrics",
    "web.clients",
    "web.contacts",
    "web.requests",
    "web.invitations",
    "web.portal",
    "web.portal_billing",
    "web.portal_balance",
    "web.payments",
    "web.client_billing_contact",
    "web.client_card",
    "web.shell",
    "web.auth",
    "web.dashboard",
    "web.get_started",
    "web.branding",
    "web.users",
    "web.settings",
    "web.subscription",
    "web.services",
    "web.billing",
    "web.balances",
    "web.fund",
    "web.reports",
]
API_AREAS = [
    "auth",
    "users",
    "agency",
    "clients",
    "imports",
    "vault",
    "contacts",
    "requests",
    "billing",
    "subscription",
    "balances",
    "events",
    "reports",
    "openapi",
]


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app; nothing connects at import time."""
    app = Flask(__name__)
    app.config.from_mapping(from_env())
    if test_config:
        app.config.update(test_config)
    configure_logging()

    app.session_interface = CookieSessions()
    # JSON answers keep the services' key order: sorting every object's keys was a quarter of
    # the time spent encoding a page of 50 clients
    app.json.sort_keys = False
    app.wsgi_app = TrustedProxies(app.wsgi_app, app.config.get("TRUSTED_PROXIES", ()))
    rpc.init_app(app)
    app.extensions["metrics"] = metrics.Registry()
    errors.init_app(app)
    # Before CSRFProtect's own check, so that a refused form is logged with its request id.
    app.before_request(_start_request)
    csrf.init_app(app)

    for area in WEB_AREAS:
        app.register_blueprint(importlib.import_module(f"gateway.{area}").bp)
    from gateway.api.base import api

    for area in API_AREAS:
        importlib.import_module(f"gateway.api.{area}")
    # The API authenticates by bearer token or session and takes only JSON: no CSRF form tokens.
    csrf.exempt(api)
    app.register_blueprint(api)

    app.after_request(_finish_request)
    app.context_processor(
        lambda: {
            "principal": auth.principal(),
            "can": auth.can,
            "perm": permissions,
            "has_endpoint": lambda endpoint: endpoint in app.view_functions,
        }
    )
    return app


def _start_request() -> None:
    g.started = time.monotonic()
    given = request.headers.get("X-Request-ID", "")
    # A trusted proxy's request id is kept when it looks like one (it ends up in logs and
    # audits); anyone else's would let a caller choose what the logs say.
    trusted = from_trusted_proxy() and REQUEST_ID.fullmatch(given)
    g.request_id = given if trusted else uuid.uuid4().hex
    set_request_id(g.request_id)
    if request.endpoint in ("static", "health.healthz", "metrics.metrics"):
        g.principal = None
        return
    input_checks.refuse_unsafe_text()
    auth.load_principal()
    if auth.is_api_request() and g.get("auth_method") == "session":
        input_checks.require_same_site_api_call()
    read_only.refuse_changes_when_read_only()


def _finish_request(response):
    response.headers["X-Request-ID"] = g.get("request_id", "")
    add_security_headers(response)
    seconds = time.monotonic() - g.get("started", time.monotonic())
    route = request.url_rule.rule if request.url_rule else "(no route)"
    metrics.registry().request_done(request.method, route, response.status_code, seconds)
    if request.endpoint != "static":
        # One line per request; the log format adds the request id (kit.logs). The path only:
        # query strings carry reset and invitation tokens.
        access_log.info(
            "%s %s %s %.1fms",
            request.method,
            request.path,
            response.status_code,
            seconds * 1000,
        )
    return response
