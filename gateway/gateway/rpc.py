"""The gateway's one way to call a service: `services.<service>.<method>(...)`.

The caller's context (agency, principal, permissions, request id) is put first in every call,
and every call has the timeout of `kit.rpc.RpcClient`: a service that does not answer is a 503.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g

from gateway.principal_cache import PrincipalCache
from kit.rpc import RpcClient


def init_app(app) -> None:
    app.extensions["rpc"] = RpcClient(
        {
            "AMQP_URI": app.config["AMQP_URI"],
            "QUORUM_QUEUES": app.config["QUORUM_QUEUES"],
            "serializer": "json",
        },
        timeout=app.config["RPC_TIMEOUT"],
    )
    app.extensions["principal_cache"] = PrincipalCache(app.config["AUTH_CACHE_SECONDS"])


def context() -> dict:
    """The context dict of the current request (anonymous until someone is authenticated)."""
    principal = g.get("principal") or {}
    return {
        "agency_id": principal.get("agency_id"),
        "request_id": g.get("request_id"),
        "principal_id": principal.get("principal_id"),
        "kind": principal.get("kind", "user"),
        "permissions": principal.get("permissions", []),
        "client_id": principal.get("client_id"),
        "contact_id": principal.get("contact_id"),
    }


class _Service:
    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, method: str):
        def call(*args: Any, **kwargs: Any) -> Any:
            client: RpcClient = current_app.extensions["rpc"]
            started, error = time.monotonic(), None
            try:
                return client.call(self._name, method, context(), *args, **kwargs)
            except Exception as exc:
                error = type(exc).__name__
                raise
            finally:
                current_app.extensions["metrics"].rpc_done(
                    self._name, method, time.monotonic() - started, error
                )
                # an identity change (even one that failed half-way) clears the principals
                current_app.extensions["principal_cache"].forget_all_after(self._name, method)

        return call


class _Services:
    def __getattr__(self, name: str) -> _Service:
        return _Service(name)


services = _Services()
