"""A small HTTP proxy in front of localstripe, for the fault suite: the system's STRIPE_API_BASE
points at it, and a case makes Stripe slow or lose its answer to chosen requests.

Every request is passed on to localstripe as it came. For the requests a rule matches (say
`POST /v1/payment_intents`, a charge), the request can reach Stripe late (`arrive_after` seconds:
until then Stripe has done nothing, and another caller asking Stripe finds nothing yet), the
answer can be held back (`delay` seconds before it is sent: longer than billing's STRIPE_TIMEOUT
and the caller has given up, though Stripe did the work) or never sent at all (`drop`: Stripe did
the work, then the connection closes without a reply). `served` lists what passed, with the
caller's port (whose process made the call: see tests/support/processes.py). A secret key can be
refused (`refuse_key`: revoked or rolled at Stripe): every request made with it is answered 401
(Stripe's AuthenticationError) or 403 (its PermissionError) without reaching localstripe, which
takes any `sk_` key.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.support.infra import free_port

# Hop-by-hop headers: the proxy's own connection, not passed on.
HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}


@dataclass
class Rule:
    """What happens to matching requests: passed on `arrive_after` seconds late, the answer held
    `delay` seconds, or the answer `drop`ped; for `times` matches (None: until the rule is taken
    away) once `after` matches passed as usual."""

    method: str
    path: str  # a prefix of the request's path
    arrive_after: float = 0.0
    delay: float = 0.0
    drop: bool = False
    times: int | None = None
    after: int = 0
    hits: int = 0
    released: threading.Event = field(default_factory=threading.Event)  # holds end early

    def matches(self, method: str, path: str) -> bool:
        return method == self.method and path.startswith(self.path)


@dataclass
class Served:
    method: str
    path: str
    status: int  # 0: the answer was dropped
    client_port: int


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A caller killed mid-call resets its connection: expected here, not worth a trace."""


@dataclass
class StripeProxy:
    """`start()`, `url`, `upstream_port`; `rule(...)` as a context manager; `stop()`."""

    upstream_port: int
    port: int = field(default_factory=free_port)
    served: list[Served] = field(default_factory=list)
    # Set while a matching request is being held or dropped (a case kills a process then).
    holding: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._rules: list[Rule] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._held: set[int] = set()  # the callers' ports of requests a rule holds
        self._refused: dict[str, int] = {}  # secret key -> the status Stripe answers it

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> StripeProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as the SDK's requests session expects

            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:
                proxy._forward(self)

            do_POST = do_DELETE = do_PUT = do_GET

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="stripe-proxy", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @contextlib.contextmanager
    def rule(self, method: str, path: str, **what):
        """Requests `method path*` get `what` (arrive_after=..., delay=..., drop=True, times=...)
        for the block."""
        rule = Rule(method, path, **what)
        with self._lock:
            self._rules.append(rule)
        try:
            yield rule
        finally:
            with self._lock:
                self._rules.remove(rule)
            rule.released.set()
            self.holding.clear()

    def refuse_key(self, secret_key: str, status: int = 401) -> None:
        """From now on Stripe refuses `secret_key` (401: revoked or wrong, the SDK's
        AuthenticationError; 403: not allowed, its PermissionError)."""
        with self._lock:
            self._refused[secret_key] = status

    def accept_key(self, secret_key: str) -> None:
        with self._lock:
            self._refused.pop(secret_key, None)

    def _refusal(self, handler: BaseHTTPRequestHandler) -> int | None:
        scheme, _, key = (handler.headers.get("Authorization") or "").partition(" ")
        with self._lock:
            return self._refused.get(key) if scheme == "Bearer" else None

    def held_ports(self) -> list[int]:
        """The callers' ports of the requests a rule holds or drops right now."""
        with self._lock:
            return list(self._held)

    def _match(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.hits += 1
                    applies = rule.hits > rule.after and (
                        rule.times is None or rule.hits <= rule.after + rule.times
                    )
                    return rule if applies else None
        return None

    def _answer_refused(self, handler, method: str, path: str, port: int, status: int) -> None:
        message = (
            "Invalid API Key provided."
            if status == 401
            else "The provided key does not have access to this resource."
        )
        payload = json.dumps(
            {"error": {"type": "invalid_request_error", "message": message}}
        ).encode()
        self.served.append(Served(method, path, status, port))
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _forward(self, handler: BaseHTTPRequestHandler) -> None:
        method, path, port = handler.command, handler.path, handler.client_address[1]
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else None
        headers = {k: v for k, v in handler.headers.items() if k.lower() not in HOP_HEADERS}
        refused = self._refusal(handler)
        if refused is not None:
            self._answer_refused(handler, method, path, port, refused)
            return
        rule = self._match(method, path)
        try:
            if rule is not None and rule.arrive_after:
                rule.released.wait(rule.arrive_after)
            upstream = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=60)
            try:
                upstream.request(method, path, body=body, headers=headers)
                response = upstream.getresponse()
                payload = response.read()
            finally:
                upstream.close()
            if rule is not None:
                with self._lock:
                    self._held.add(port)
                self.holding.set()
                if rule.drop:
                    # Stripe did it; the caller never hears: the connection just ends.
                    self.served.append(Served(method, path, 0, port))
                    handler.close_connection = True
                    with contextlib.suppress(OSError):
                        handler.connection.shutdown(2)
                    return
                rule.released.wait(rule.delay)
            self.served.append(Served(method, path, response.status, port))
            try:
                handler.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_HEADERS | {"content-length"}:
                        handler.send_header(key, value)
                handler.send_header("Content-Length", str(len(payload)))
                handler.end_headers()
                handler.wfile.write(payload)
            except OSError:  # the caller gave up waiting (its timeout)
                handler.close_connection = True
        finally:
            with self._lock:
                self._held.discard(port)
