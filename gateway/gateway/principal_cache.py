"""Who a session or API token is, remembered for a moment: one identity RPC per credential per
AUTH_CACHE_SECONDS instead of one per request.

Every request used to ask identity who its credential belongs to (a second RPC: 1.6x the raw
call's latency, half its throughput with 16 callers). The answer is now kept AUTH_CACHE_SECONDS
(0.5 s by default, at most 1 s), so revoking a token, ending a session, deactivating a user or
changing a role takes effect within that time on every gateway process; on the process that
made the change at once, because every identity call that changes something clears the cache
(`forget_all_after`). Refusals are never kept: a wrong or revoked credential asks identity each
time. Keys are SHA-256 digests, not the credentials themselves; the size is bounded.

Refreshed ahead: a request that finds an answer older than half the TTL is served it (it is
still within the TTL) and identity is asked again in the background (`refresh_soon`, one
question per credential at a time), so a credential in steady use never waits for identity
again, yet no answer is ever served older than the TTL; a refusal heard in the background
drops the entry at once. An answer asked before a `forget`/`forget_all` is never stored after
it (`generation`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from kit.errors import Unauthenticated

log = logging.getLogger(__name__)

MAX_SECONDS = 1.0
REFRESH_AFTER = 0.5  # of the TTL: an older answer is asked again in the background
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
        self.generation = 0  # moves on at every forget: older answers are not stored
        self._refreshing: set[bytes] = set()
        self._refresher: ThreadPoolExecutor | None = None

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

    def due_for_refresh(self, kind: str, token: str) -> bool:
        """Whether the kept answer is past REFRESH_AFTER of its TTL (and not being refreshed)."""
        key = self._key(kind, token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or key in self._refreshing:
                return False
            return self.clock() - entry[0] >= self.seconds * REFRESH_AFTER

    def refresh_soon(self, kind: str, token: str, ask: Callable[[str, str], dict]) -> None:
        """Ask identity again in the background (`ask(kind, token)`), once at a time per
        credential; the kept answer is served meanwhile (it is within its TTL)."""
        key = self._key(kind, token)
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)
            if self._refresher is None:
                self._refresher = ThreadPoolExecutor(1, thread_name_prefix="principal-refresh")
            refresher = self._refresher
        refresher.submit(self._refresh, key, kind, token, ask)

    def _refresh(self, key: bytes, kind: str, token: str, ask: Callable[[str, str], dict]):
        try:
            asked_at, generation = self.clock(), self.generation
            try:
                found = ask(kind, token)
            except Unauthenticated:
                self.forget(kind, token)  # refused now: the next request asks, and is refused
                return
            except Exception as exc:  # identity away: the entry ends at its TTL as before
                log.debug("refreshing a principal failed: %s: %s", type(exc).__name__, exc)
                return
            self.put(kind, token, found, asked_at, generation)
        finally:
            with self._lock:
                self._refreshing.discard(key)

    def put(
        self,
        kind: str,
        token: str,
        principal: dict,
        asked_at: float,
        generation: int | None = None,
    ) -> None:
        """Keep `principal`, counted from `asked_at` (the clock when identity was asked: an
        answer read before a revocation never outlives it by more than the TTL); not if the
        cache was cleared since `generation` (read when identity was asked)."""
        if not self.seconds:
            return
        with self._lock:
            if generation is not None and generation != self.generation:
                return
            if len(self._entries) >= self.max_entries:
                self._drop_expired()
                if len(self._entries) >= self.max_entries:
                    self._entries.clear()
            self._entries[self._key(kind, token)] = (asked_at, principal)

    def forget(self, kind: str, token: str) -> None:
        with self._lock:
            self.generation += 1
            self._entries.pop(self._key(kind, token), None)

    def forget_all(self) -> None:
        with self._lock:
            self.generation += 1
            self._entries.clear()

    def forget_all_after(self, service: str, method: str) -> None:
        """Called after every RPC: an identity call that may change access clears the cache."""
        if service == "identity" and not method.startswith(READ_ONLY_PREFIXES):
            self.forget_all()

    def _drop_expired(self) -> None:
        now = self.clock()
        for key in [k for k, (at, _) in self._entries.items() if now - at >= self.seconds]:
            del self._entries[key]
