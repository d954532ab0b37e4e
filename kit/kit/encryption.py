"""Secrets at rest (client vault passwords, agencies' Stripe secret keys): MultiFernet over the
configured VAULT_KEYS (comma-separated Fernet keys; the first encrypts, all decrypt), so keys
rotate by putting a new one first and re-encrypting."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from nameko.extensions import DependencyProvider

from kit.errors import ValidationError

# Published in this repository: it protects nothing and serves a developer's machine only.
DEVELOPMENT_KEY = "7XlDlu9I6yBF-Ztz-NEmxtBiYgxtO1ZZDH8vos1PJmU="


def cipher_from_config(config: dict) -> MultiFernet:
    """The cipher of the configuration; outside development VAULT_KEYS must be set."""
    keys = config.get("VAULT_KEYS") or ""
    if not str(keys).strip():
        if config.get("APP_ENV", "development") != "development":
            raise RuntimeError("Set VAULT_KEYS (comma-separated Fernet keys) outside development.")
        keys = DEVELOPMENT_KEY
    return make_cipher(keys)


def make_cipher(keys: str | list[str]) -> MultiFernet:
    """A MultiFernet over the configured keys (a comma-separated string or a list)."""
    if isinstance(keys, str):
        keys = [k.strip() for k in keys.split(",")]
    keys = [k for k in keys if k]
    if not keys:
        raise RuntimeError("VAULT_KEYS is empty: configure at least one Fernet key")
    return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])


def encrypt(cipher: MultiFernet, secret: str) -> str:
    return cipher.encrypt(secret.encode()).decode("ascii") if secret else ""


def decrypt(cipher: MultiFernet, token: str) -> str:
    if not token:
        return ""
    try:
        return cipher.decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        # The key that encrypted it is no longer configured: say so, never show the token.
        raise ValidationError(
            "This secret cannot be decrypted with the configured keys (VAULT_KEYS)."
        ) from None


class Cipher(DependencyProvider):
    """The MultiFernet over VAULT_KEYS, built once at start-up (a bad key fails the start)."""

    def setup(self) -> None:
        self.cipher = cipher_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> MultiFernet:
        return self.cipher
