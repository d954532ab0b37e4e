"""Opaque random tokens (sessions, API tokens, e-mailed links): only their sha256 is stored
(`kit.ids.hash_token`)."""

from __future__ import annotations

import secrets

API_TOKEN_PREFIX = "agp_"  # lets secret scanners recognise a leaked token


def new_token(prefix: str = "") -> str:
    """A fresh token with 256 bits of randomness, URL-safe."""
    return prefix + secrets.token_urlsafe(32)
