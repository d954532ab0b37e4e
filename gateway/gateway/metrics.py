"""GET /metrics: Prometheus text format (version 0.0.4) for this gateway process.

- `gateway_http_requests_total{method,route,status}` and `gateway_http_request_duration_seconds`
  (a histogram per method and route: the URL rule, `/api/v1/clients/<client_id>`, never the
  path itself, so ids and tokens never become labels);
- `gateway_rpc_call_duration_seconds{service,method}` (histogram) and
  `gateway_rpc_errors_total{service,method,error}` (the domain error's class name);
- asked of each service when scraped (`service_metrics` RPC, kit/metrics.py):
  `service_up{service}`, `service_outbox_backlog{service}`, `service_outbox_oldest_seconds`,
  `service_failed_events{service,status}` (retrying, dead).

Each gateway replica counts its own requests: scrape every replica directly (deploy/nginx.conf
does not pass /metrics from outside). With `METRICS_TOKEN` set, the endpoint also wants
`Authorization: Bearer <METRICS_TOKEN>`.
"""

from __future__ import annotations

import hmac
import threading
from collections import defaultdict

from flask import Blueprint, Response, current_app, request

from kit.errors import DomainError

bp = Blueprint("metrics", __name__)

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Histogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.total += seconds
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
                return
        self.counts[-1] += 1


class Registry:
    """This process's counters; thread-safe (waitress serves from several threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self.request_seconds: dict[tuple[str, str], Histogram] = defaultdict(Histogram)
        self.rpc_seconds: dict[tuple[str, str], Histogram] = defaultdict(Histogram)
        self.rpc_errors: dict[tuple[str, str, str], int] = defaultdict(int)

    def request_done(self, method: str, route: str, status: int, seconds: float) -> None:
        with self.lock:
            self.requests[(method, route, str(status))] += 1
            self.request_seconds[(method, route)].observe(seconds)

    def rpc_done(self, service: str, method: str, seconds: float, error: str | None) -> None:
        with self.lock:
            self.rpc_seconds[(service, method)].observe(seconds)
            if error:
                self.rpc_errors[(service, method, error)] += 1


def _labels(**labels: str) -> str:
    def escape(value: str) -> str:
        return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")

    return "{" + ",".join(f'{k}="{escape(v)}"' for k, v in labels.items()) + "}"


def _histogram(out: list[str], name: str, help_text: str, series: dict, label_names) -> None:
    out.append(f"# HELP {name} {help_text}")
    out.append(f"# TYPE {name} histogram")
    for key, histogram in sorted(series.items()):
        labels = dict(zip(label_names, key, strict=True))
        running = 0
        for bound, count in zip(BUCKETS, histogram.counts, strict=False):
            running += count
            out.append(f"{name}_bucket{_labels(**labels, le=repr(bound))} {running}")
        running += histogram.counts[-1]
        out.append(f"{name}_bucket{_labels(**labels, le='+Inf')} {running}")
        out.append(f"{name}_sum{_labels(**labels)} {histogram.total:.6f}")
        out.append(f"{name}_count{_labels(**labels)} {running}")


def render(registry: Registry, service_figures: dict[str, dict | None]) -> str:
    out: list[str] = []
    with registry.lock:
        out.append("# HELP gateway_http_requests_total Requests answered, by route and status.")
        out.append("# TYPE gateway_http_requests_total counter")
        for (method, route, status), n in sorted(registry.requests.items()):
            labels = _labels(method=method, route=route, status=status)
            out.append(f"gateway_http_requests_total{labels} {n}")
        _histogram(
            out,
            "gateway_http_request_duration_seconds",
            "Time to answer a request, by route.",
            registry.request_seconds,
            ("method", "route"),
        )
        _histogram(
            out,
            "gateway_rpc_call_duration_seconds",
            "Time of an RPC from the gateway to a service, by service and method.",
            registry.rpc_seconds,
            ("service", "method"),
        )
        out.append("# HELP gateway_rpc_errors_total RPCs that raised, by error.")
        out.append("# TYPE gateway_rpc_errors_total counter")
        for (service, method, error), n in sorted(registry.rpc_errors.items()):
            labels = _labels(service=service, method=method, error=error)
            out.append(f"gateway_rpc_errors_total{labels} {n}")
    gauges = (
        ("service_up", "1 when the service answered the scrape's service_metrics RPC."),
        ("service_outbox_backlog", "Events written to the outbox, not yet published."),
        ("service_outbox_oldest_seconds", "Age of the oldest unpublished outbox event."),
        ("service_failed_events", "Events whose handler failed, by status (retrying, dead)."),
    )
    for name, help_text in gauges:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} gauge")
        for service, figures in service_figures.items():
            if name == "service_up":
                out.append(f"service_up{_labels(service=service)} {int(figures is not None)}")
            elif figures is None:
                continue
            elif name == "service_failed_events":
                for status, n in sorted(figures["failed_events"].items()):
                    out.append(f"{name}{_labels(service=service, status=status)} {n}")
            else:
                value = figures[name.removeprefix("service_")]
                out.append(f"{name}{_labels(service=service)} {value}")
    return "\n".join(out) + "\n"


def registry() -> Registry:
    return current_app.extensions["metrics"]


@bp.get("/metrics")
def metrics():
    from gateway.health import SERVICES
    from gateway.rpc import services

    token = current_app.config.get("METRICS_TOKEN")
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), token.encode()):
            return Response("metrics token required\n", 401, content_type="text/plain")
    figures: dict[str, dict | None] = {}
    for name in SERVICES:
        try:
            figures[name] = getattr(services, name).service_metrics()
        except DomainError:
            figures[name] = None
    return Response(render(registry(), figures), content_type=CONTENT_TYPE)
