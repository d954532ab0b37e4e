"""/metrics on the running system: the gateway's own counters, and every service answering with
its outbox backlog and failed events (kit/metrics.py)."""

import re

import requests

from gateway.health import SERVICES


def test_metrics_show_requests_rpcs_and_every_services_outbox(new_agency, base_url):
    owner = new_agency()
    owner.post("/clients", json={"name": "Metered Ltd"}, expect=201)
    owner.get("/clients", expect=200)
    response = requests.get(f"{base_url}/metrics", timeout=10)
    assert response.status_code == 200
    text = response.text
    assert re.search(
        r'gateway_http_requests_total\{method="GET",route="/api/v1/clients",'
        r'status="200"\} [1-9]',
        text,
    )
    assert (
        'gateway_rpc_call_duration_seconds_count{service="clients",method="list_clients"}' in text
    )
    for service in SERVICES:
        assert f'service_up{{service="{service}"}} 1' in text, service
        assert re.search(rf'service_outbox_backlog\{{service="{service}"\}} \d+', text)
        assert f'service_failed_events{{service="{service}",status="dead"}}' in text
