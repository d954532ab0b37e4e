"""Opaque random tokens (sessions, API tokens, e-mailed links): only their sha256 is stored."""

from __future__ import annotations

import hashlib
import secrets

API_TOKEN_PREFIX = "agp_"  # lets secret scanners recognise a leaked token


def new_token(prefix: str = "") -> str:
    """A fresh token with 256 bits of randomness, URL-safe."""
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """The hex sha256 kept in the database; a random token needs no salt or slow hash."""
    return hashlib.sha256(str(token).encode()).hexdigest()
