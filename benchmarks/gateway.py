"""Benchmark: the gateway's cost on an authenticated call, beside the raw RPC of the same call.

    python -m benchmarks.gateway            # 400 sequential calls, 16 callers x 40 calls
    python -m benchmarks.gateway 100 10     # any sizes

Targets (issue 12): `GET /api/v1/clients` (a page of 50) through the gateway with an API token
has a p50 at most 1.3x the raw `clients.list_clients` RPC's, and with 16 concurrent callers at
least 80% of the raw RPC's throughput, without weakening revocation (the gateway keeps who a
token is for AUTH_CACHE_SECONDS, at most 1 s: tests/e2e/test_auth_cache.py).

The whole system is started on databases and a vhost of its own (tests.support.stack, as the
stack tests start it), an agency signed up, 60 clients added through the API. The raw RPC is
`kit.rpc.RpcClient` (the gateway's own client: a started proxy per thread) calling
`clients.list_clients` with the context the gateway would send. Each side is warmed up first;
the gateway and the raw calls alternate in rounds so a load change on the machine hits both.

The HTTP caller is the standard library's `http.client` on a kept connection, as lean a client
as the raw side's: the figure is the gateway's cost, not the caller's. The same calls through
`requests` (a Session) are timed beside it and shown as their own row: about 0.5 ms more of the
caller's own Python a call.
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

TARGET_P50_RATIO = 1.3
TARGET_THROUGHPUT_RATIO = 0.80
CALLERS = 16
CLIENTS = 60
ERRORS = [0]  # calls that failed in the concurrent runs


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed_calls(call, count: int) -> list[float]:
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


def concurrent(make_call, callers: int, each: int) -> tuple[float, list[float]]:
    """Answered requests per second of `callers` threads doing `each` calls, and every
    latency; a call that fails (a 503 on an overloaded machine) is counted in ERRORS, not in
    the throughput."""
    calls = [make_call() for _ in range(callers)]
    for call in calls:
        call()  # each thread's first call (its connection / proxy) before the clock
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(callers + 1)

    def run(call):
        barrier.wait()
        mine, failed = [], 0
        for _ in range(each):
            started = time.perf_counter()
            try:
                call()
            except Exception:
                failed += 1
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            ERRORS[0] += failed

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def main(sequential: int = 400, each: int = 40) -> dict:
    import requests

    from benchmarks import report
    from kit.rpc import RpcClient
    from tests.support.api import sign_up
    from tests.support.stack import running_system

    load = os.getloadavg()
    log = report.ROOT / ".run" / "bench-gateway-stack.log"
    with running_system(log=log) as system:
        owner = sign_up(system.base_url, system.mailbox)
        for i in range(CLIENTS):
            owner.post("/clients", json={"name": f"Client {i:03d}"}, expect=201)
        path = "/api/v1/clients?per_page=50"
        url = f"{system.base_url}{path}"
        host, port = urlsplit(system.base_url).hostname, urlsplit(system.base_url).port
        headers = {"Authorization": f"Bearer {owner.token}"}
        amqp = {"AMQP_URI": system.stack.env["AMQP_URI"], "serializer": "json"}

        anonymous = {"agency_id": None, "request_id": "bench", "principal_id": None}
        principal = RpcClient(amqp).call(
            "identity", "authenticate_api_token", anonymous, owner.token
        )
        ctx = {
            "agency_id": principal["agency_id"],
            "request_id": "bench",
            "principal_id": principal["principal_id"],
            "kind": principal["kind"],
            "permissions": principal["permissions"],
            "client_id": None,
            "contact_id": None,
        }

        def gateway_call():
            connection = http.client.HTTPConnection(host, port, timeout=10)

            def call():
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                body = response.read()
                assert response.status == 200 and len(json.loads(body)["items"]) == 50

            return call

        def requests_call():
            session = requests.Session()

            def call():
                response = session.get(url, headers=headers, timeout=10)
                assert response.status_code == 200 and len(response.json()["items"]) == 50

            return call

        def rpc_call():
            client = RpcClient(amqp)

            def call():
                page = client.call("clients", "list_clients", ctx, page=1, per_page=50)
                assert len(page["items"]) == 50

            return call

        one_gateway, one_rpc, one_requests = gateway_call(), rpc_call(), requests_call()
        timed_calls(one_gateway, 50)
        timed_calls(one_rpc, 50)
        timed_calls(one_requests, 50)
        gateway_latencies: list[float] = []
        rpc_latencies: list[float] = []
        requests_latencies: list[float] = []
        rounds = 4
        gateway_seconds = rpc_seconds = 0.0
        for _ in range(rounds):
            started = time.perf_counter()
            gateway_latencies += timed_calls(one_gateway, sequential // rounds)
            gateway_seconds += time.perf_counter() - started
            started = time.perf_counter()
            rpc_latencies += timed_calls(one_rpc, sequential // rounds)
            rpc_seconds += time.perf_counter() - started
            requests_latencies += timed_calls(one_requests, sequential // rounds)
        gateway_rps, gateway_many = concurrent(gateway_call, CALLERS, each)
        rpc_rps, rpc_many = concurrent(rpc_call, CALLERS, each)
        gateway_rps_2, _ = concurrent(gateway_call, CALLERS, each)
        rpc_rps_2, _ = concurrent(rpc_call, CALLERS, each)
        gateway_rps, rpc_rps = (gateway_rps + gateway_rps_2) / 2, (rpc_rps + rpc_rps_2) / 2

    ms = 1000
    g50, r50 = statistics.median(gateway_latencies) * ms, statistics.median(rpc_latencies) * ms
    g95, r95 = percentile(gateway_latencies, 95) * ms, percentile(rpc_latencies, 95) * ms
    q50 = statistics.median(requests_latencies) * ms
    g1 = len(gateway_latencies) / gateway_seconds
    r1 = len(rpc_latencies) / rpc_seconds
    m50, m50r = statistics.median(gateway_many) * ms, statistics.median(rpc_many) * ms
    rows = [
        report.Row(
            "gateway GET /clients (50), 1 caller, p50",
            g50,
            "ms",
            target=f"<= {TARGET_P50_RATIO}x raw RPC",
            baseline=r50,
            baseline_name="raw RPC",
            ratio=g50 / r50,
            ratio_label="x raw RPC",
            passed=g50 / r50 <= TARGET_P50_RATIO,
        ),
        report.Row(
            "gateway GET /clients (50), 1 caller, p95",
            g95,
            "ms",
            baseline=r95,
            baseline_name="raw RPC",
            ratio=g95 / r95,
            ratio_label="x raw RPC",
        ),
        report.Row(
            "gateway GET /clients (50), 1 caller, p50 through requests",
            q50,
            "ms",
            baseline=r50,
            baseline_name="raw RPC",
            ratio=q50 / r50,
            ratio_label="x raw RPC",
        ),
        report.Row(
            "gateway GET /clients (50), 1 caller",
            g1,
            "req/s",
            baseline=r1,
            baseline_name="raw RPC",
            ratio=g1 / r1,
            ratio_label="of raw RPC",
        ),
        report.Row(
            f"gateway GET /clients (50), {CALLERS} callers",
            gateway_rps,
            "req/s",
            target=f">= {TARGET_THROUGHPUT_RATIO:.0%} of raw RPC",
            baseline=rpc_rps,
            baseline_name="raw RPC",
            ratio=gateway_rps / rpc_rps,
            ratio_label="of raw RPC",
            passed=gateway_rps / rpc_rps >= TARGET_THROUGHPUT_RATIO,
        ),
        report.Row(
            f"gateway GET /clients (50), {CALLERS} callers, p50",
            m50,
            "ms",
            baseline=m50r,
            baseline_name="raw RPC",
            ratio=m50 / m50r,
            ratio_label="x raw RPC",
        ),
    ]
    cache = os.environ.get("AUTH_CACHE_SECONDS", "0.5")
    note = f"AUTH_CACHE_SECONDS={cache}; failed calls under 16 callers: {ERRORS[0]}"
    report.record("gateway", rows, note=note, load=load)
    return {"p50": g50, "raw_p50": r50, "rps": gateway_rps, "raw_rps": rpc_rps}


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
