"""GET /metrics: Prometheus text with requests per route (the URL rule, never the path with
its ids), RPC timings and errors, and each service's outbox backlog and failed events."""

import pytest

from kit.errors import ServiceUnavailable

OWNER = {"Authorization": "Bearer owner-token"}
FIGURES = {
    "outbox_backlog": 3,
    "outbox_oldest_seconds": 1.5,
    "failed_events": {"retrying": 1, "dead": 2},
}


@pytest.fixture
def with_services(rpc):
    for name in ("identity", "notifications", "clients", "reporting"):
        rpc.answers[(name, "service_metrics")] = lambda: FIGURES

    def away():
        raise ServiceUnavailable("The billing service did not answer in time.")

    rpc.answers[("billing", "service_metrics")] = away


def test_metrics_count_requests_by_route_and_time_rpcs(client, rpc, with_services):
    rpc.answers[("identity", "get_user")] = lambda user_id: {"id": user_id}
    client.get("/api/v1/users/11111111-1111-1111-1111-111111111111", headers=OWNER)
    client.get("/api/v1/users/22222222-2222-2222-2222-222222222222", headers=OWNER)
    client.get("/api/v1/me")  # 401
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    route = 'method="GET",route="/api/v1/users/<user_id>",status="200"'
    assert f"gateway_http_requests_total{{{route}}} 2" in text
    assert 'route="/api/v1/me",status="401"} 1' in text
    assert "11111111-1111" not in text  # ids never become labels
    users = 'method="GET",route="/api/v1/users/<user_id>"'
    assert f"gateway_http_request_duration_seconds_count{{{users}}} 2" in text
    assert 'gateway_rpc_call_duration_seconds_count{service="identity",method="get_user"} 2' in text
    away = 'service="billing",method="service_metrics",error="ServiceUnavailable"'
    assert f"gateway_rpc_errors_total{{{away}}} 1" in text


def test_metrics_show_each_services_outbox_backlog_and_failed_events(client, with_services):
    text = client.get("/metrics").get_data(as_text=True)
    assert 'service_up{service="clients"} 1' in text and 'service_up{service="billing"} 0' in text
    assert 'service_outbox_backlog{service="identity"} 3' in text
    assert 'service_outbox_oldest_seconds{service="identity"} 1.5' in text
    assert 'service_failed_events{service="notifications",status="dead"} 2' in text
    assert 'service_outbox_backlog{service="billing"}' not in text


def test_metrics_want_the_metrics_token_when_one_is_set(app, client, with_services):
    app.config["METRICS_TOKEN"] = "scrape-secret"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
    assert ok.status_code == 200
