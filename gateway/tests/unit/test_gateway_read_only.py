"""A read-only agency (its principal says so: trial ended, renewal unpaid, subscription ended)
may read everything and take the ways out, and nothing else changes: one rule, before any view
runs (gateway/read_only.py)."""

from __future__ import annotations

import pytest

READ_ONLY_TOKEN = {"Authorization": "Bearer read-only"}


@pytest.fixture
def read_only(rpc):
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    principal = {**owner, "subscription_status": "trial_ended", "read_only": True}
    rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
    rpc.answers[("clients", "list_clients")] = lambda **kw: {
        "items": [],
        "total": 0,
        "page": 1,
        "per_page": 25,
    }
    return principal


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/api/v1/clients", {"name": "Acme"}),
        ("PATCH", "/api/v1/agency", {"name": "New name"}),
        ("DELETE", "/api/v1/tokens/00000000-0000-0000-0000-000000000001", None),
        ("POST", "/api/v1/agency/subscription/upgrade", {"plan": "agency"}),
    ],
)
def test_every_change_is_refused_with_subscription_required(
    client, rpc, read_only, method, path, body
):
    response = client.open(path, method=method, json=body, headers=READ_ONLY_TOKEN)
    assert response.status_code == 402
    error = response.get_json()["error"]
    assert error["code"] == "subscription_required"
    assert "free trial has ended" in error["message"] and "Subscribe" in error["message"]
    assert error["fields"] == {"subscription_status": "trial_ended"}
    assert rpc.methods() == ["identity.authenticate_api_token"]  # no service was asked


def test_reading_and_the_ways_out_are_allowed(client, rpc, read_only):
    assert client.get("/api/v1/clients", headers=READ_ONLY_TOKEN).status_code == 200
    rpc.answers[("identity", "request_onboarding")] = lambda message, phone: {
        "requested": True,
        "email": "olivia@example.com",
    }
    rpc.answers[("billing", "cancel_subscription")] = lambda: {"status": "active"}
    asked = client.post("/api/v1/agency/onboarding", json={}, headers=READ_ONLY_TOKEN)
    assert asked.status_code == 202
    canceled = client.post("/api/v1/agency/subscription/cancel", headers=READ_ONLY_TOKEN)
    assert canceled.status_code == 200
    assert "billing.cancel_subscription" in rpc.methods()


def test_an_agency_that_may_write_is_not_stopped(client, rpc):
    rpc.answers[("identity", "request_onboarding")] = lambda message, phone: {"requested": True}
    owner = {"Authorization": "Bearer owner-token"}
    assert client.post("/api/v1/agency/onboarding", json={}, headers=owner).status_code == 202
