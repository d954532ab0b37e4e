"""What every service's entrypoints share: the request id in log lines, from the call context."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from kit.logs import reset_request_id, set_request_id


class RequestLogging(DependencyProvider):
    """Puts the caller's request id (from the context argument or event payload) on log lines."""

    def __init__(self):
        self.tokens = {}

    def worker_setup(self, worker_ctx) -> None:
        first = worker_ctx.args[0] if worker_ctx.args else worker_ctx.kwargs.get("ctx")
        request_id = first.get("request_id") if isinstance(first, dict) else None
        self.tokens[worker_ctx] = set_request_id(request_id)

    def worker_teardown(self, worker_ctx) -> None:
        token = self.tokens.pop(worker_ctx, None)
        if token is not None:
            reset_request_id(token)
