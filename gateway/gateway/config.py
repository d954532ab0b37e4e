"""The gateway's configuration: the environment, with working local defaults. Read only here.

Outside development (APP_ENV=production) a SECRET_KEY must be given and the session cookie is
sent over HTTPS only.
"""

from __future__ import annotations

import os
import secrets

from gateway.proxies import parse_trusted_proxies

# docker-compose.yml's default key (shared by its gateway replicas in development only)
DEVELOPMENT_KEY_PREFIX = "development-only"


def from_env() -> dict:
    production = os.environ.get("APP_ENV", "development") != "development"
    secret_key = os.environ.get("SECRET_KEY")
    if production and (not secret_key or secret_key.startswith(DEVELOPMENT_KEY_PREFIX)):
        raise RuntimeError("Set SECRET_KEY (a long random string) outside development.")
    return {
        "AMQP_URI": os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1"),
        "RPC_TIMEOUT": float(os.environ.get("RPC_TIMEOUT", "10")),
        # 1 on a RabbitMQ cluster, as for the services: the reply queues are then transient
        # (kit/queues.py).
        "QUORUM_QUEUES": os.environ.get("QUORUM_QUEUES", "0"),
        # How long who a session/token is stays known without asking identity (at most 1 s:
        # a revoked token or deactivated user is refused within it; 0 asks every time).
        "AUTH_CACHE_SECONDS": float(os.environ.get("AUTH_CACHE_SECONDS", "0.5")),
        # GET /metrics wants `Authorization: Bearer <METRICS_TOKEN>` when set (gateway/metrics.py)
        "METRICS_TOKEN": os.environ.get("METRICS_TOKEN", ""),
        # The services with event handlers (kit.failed_events): Settings > Failed events asks
        # each by name.
        "EVENT_SERVICES": os.environ.get(
            "EVENT_SERVICES", "notifications,billing,identity,clients,reporting"
        ).split(","),
        # A fresh key per process only suits a developer's machine: sessions end at restart.
        "SECRET_KEY": secret_key or secrets.token_hex(32),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "1" if production else "0")
        == "1",
        "SESSION_COOKIE_NAME": "agency_session",
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        "WTF_CSRF_TIME_LIMIT": None,
        # Reverse proxies whose X-Forwarded-For / X-Request-ID are believed (gateway.proxies).
        "TRUSTED_PROXIES": parse_trusted_proxies(os.environ.get("TRUSTED_PROXIES", "")),
        # Stripe.js for the pages that take a card: localstripe serves its own copy in
        # development and tests; production loads Stripe's.
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL")
        or (
            "https://js.stripe.com/v3/"
            if production
            else os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420").rstrip("/")
            + "/js.stripe.com/v3/"
        ),
        # Browsers keep to HTTPS this long once they have seen the site (production only).
        "HSTS_SECONDS": int(os.environ.get("HSTS_SECONDS", "31536000" if production else "0")),
    }
