"""What every service's entrypoints share: the request id on every log line, from the call
context (or the event payload), and one line per call saying what ran, how it ended, how long."""

from __future__ import annotations

import logging
import time

from nameko.extensions import DependencyProvider
from nameko.rpc import rpc as nameko_rpc

from kit.errors import DomainError
from kit.logs import reset_request_id, set_request_id

log = logging.getLogger("kit.calls")


def rpc(fn=None, **kwargs):
    """nameko's `@rpc`, with the domain errors declared expected: a NotFound or a
    ValidationError is an answer, not a failure of the service (no ERROR line, no traceback)."""
    kwargs.setdefault("expected_exceptions", (DomainError,))
    decorator = nameko_rpc(**kwargs)
    return decorator(fn) if fn is not None else decorator


class RequestLogging(DependencyProvider):
    """Puts the caller's request id on log lines and logs each RPC or event handled."""

    def __init__(self):
        self.calls = {}

    def worker_setup(self, worker_ctx) -> None:
        first = worker_ctx.args[0] if worker_ctx.args else worker_ctx.kwargs.get("ctx")
        request_id = first.get("request_id") if isinstance(first, dict) else None
        self.calls[worker_ctx] = (set_request_id(request_id), time.monotonic())

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        _, started = self.calls.get(worker_ctx, (None, time.monotonic()))
        outcome = "ok" if exc_info is None else exc_info[0].__name__
        entrypoint = worker_ctx.entrypoint
        log.info(
            "%s.%s %s in %.1f ms",
            self.container.service_name,
            entrypoint.method_name,
            outcome,
            (time.monotonic() - started) * 1000,
        )

    def worker_teardown(self, worker_ctx) -> None:
        token, _ = self.calls.pop(worker_ctx, (None, None))
        if token is not None:
            reset_request_id(token)
