"""The gateway's configuration: the environment, with working local defaults. Read only here."""

from __future__ import annotations

import os
import secrets


def from_env() -> dict:
    return {
        "AMQP_URI": os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1"),
        "RPC_TIMEOUT": float(os.environ.get("RPC_TIMEOUT", "10")),
        # A fresh key per process only suits a developer's machine: sessions end at restart.
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", "http://127.0.0.1:8000"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": os.environ.get("SESSION_COOKIE_SECURE", "0") == "1",
        "SESSION_COOKIE_NAME": "agency_session",
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_BYTES", str(20 * 1024 * 1024))),
        "WTF_CSRF_TIME_LIMIT": None,
    }
