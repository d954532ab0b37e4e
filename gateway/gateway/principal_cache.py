"""Who a session or API token is, remembered for a moment: one identity RPC per credential per
AUTH_CACHE_SECONDS instead of one per request.

Every request used to ask identity who its credential belongs to (a second RPC: 1.6x the raw
call's latency, half its throughput with 16 callers). The answer is now kept AUTH_CACHE_SECONDS
(0.5 s by default, at most 1 s), so revoking a token, ending a session, deactivating a user or
changing a role takes effect within that time on every gateway process; on the process that
made the change at once, because every identity call that changes something clears the cache
(`forget_all_after`). Refusals are never kept: a wrong or revoked credential asks identity each
time. Keys are SHA-256 digests, not the credentials themselves; the size is bounded.
"""

from __future__ import annotations

import hashlib
import threading
import time

MAX_SECONDS = 1.0
# identity calls that only read: anything else may change who is allowed what.
READ_ONLY_PREFIXES = ("authenticate_", "get_", "list_", "users_by_ids")


class PrincipalCache:
    def __init__(self, seconds: float, max_entries: int = 10_000, clock=time.monotonic):
        if not 0 <= seconds <= MAX_SECONDS:
            raise RuntimeError(
                f"AUTH_CACHE_SECONDS must be between 0 and {MAX_SECONDS:g} (a revoked token "
                f"must stop working within a second); got {seconds:g}"
            )
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        self._entries: dict[bytes, tuple[float, dict]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(kind: str, token: str) -> bytes:
        return hashlib.sha256(f"{kind}\0{token}".encode()).digest()

    def get(self, kind: str, token: str) -> dict | None:
        if not self.seconds:
            return None
        key = self._key(kind, token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self.clock() - entry[0] >= self.seconds:
                del self._entries[key]
                return None
            return entry[1]

    def put(self, kind: str, token: str, principal: dict, asked_at: float) -> None:
        """Keep `principal`, counted from `asked_at` (the clock when identity was asked: an
        answer read before a revocation never outlives it by more than the TTL)."""
        if not self.seconds:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._drop_expired()
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[self._key(kind, token)] = (asked_at, principal)

    def forget(self, kind: str, token: str) -> None:
        with self._lock:
            self._entries.pop(self._key(kind, token), None)

    def forget_all(self) -> None:
        with self._lock:
            self._entries.clear()

    def forget_all_after(self, service: str, method: str) -> None:
        """Called after every RPC: an identity call that may change access clears the cache."""
        if service == "identity" and not method.startswith(READ_ONLY_PREFIXES):
            self.forget_all()

    def _drop_expired(self) -> None:
        now = self.clock()
        for key in [k for k, (at, _) in self._entries.items() if now - at >= self.seconds]:
            del self._entries[key]
