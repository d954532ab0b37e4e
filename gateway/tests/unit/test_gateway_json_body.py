"""API input: JSON only, validated by the gateway's marshmallow schemas, refused with a 4xx that
says what to fix, before any service is called."""

import pytest

OWNER = {"Authorization": "Bearer owner-token"}


def test_malformed_json_is_a_400(client, rpc):
    response = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"] == {
        "code": "bad_request",
        "message": "The request body is not valid JSON.",
        "fields": {},
    }
    assert rpc.calls == []


def test_a_form_body_is_a_415(client, rpc):
    response = client.post("/api/v1/auth/login", data={"email": "a@b.co", "password": "x"})
    assert response.status_code == 415
    assert "application/json" in response.get_json()["error"]["message"]
    assert rpc.calls == []


def test_a_json_array_is_a_400(client):
    response = client.post("/api/v1/auth/login", json=[1, 2])
    assert response.status_code == 400
    assert response.get_json()["error"]["message"] == "The JSON body must be an object."


def test_unknown_fields_are_refused_by_name(client, rpc):
    response = client.post(
        "/api/v1/auth/login", json={"email": "a@b.co", "password": "x", "remember": True}
    )
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["fields"] == {"remember": ["Unknown field."]}
    assert "remember" in error["message"]
    assert rpc.calls == []


def test_missing_fields_are_named(client, rpc):
    response = client.post("/api/v1/auth/signup", json={"email": "someone@example.com"})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert set(fields) == {"agency_name", "owner_name", "password"}
    assert rpc.calls == []


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/api/v1/users", {"name": "A", "email": "not-an-email", "role_id": "x"}, "email"),
        ("/api/v1/users", {"name": "A", "email": "a@b.co", "role_id": "nope"}, "role_id"),
        ("/api/v1/users", {"name": "", "email": "a@b.co", "role_id": "nope"}, "name"),
        ("/api/v1/roles", {"name": "Ops", "permissions": "view_clients"}, "permissions"),
        ("/api/v1/tokens", {"name": 42}, "name"),
    ],
)
def test_invalid_values_are_field_errors(client, rpc, path, body, field):
    response = client.post(path, json=body, headers=OWNER)
    assert response.status_code == 422
    assert field in response.get_json()["error"]["fields"]
    assert rpc.methods() == ["identity.authenticate_api_token"]


def test_bad_query_argument_is_a_field_error(client):
    response = client.get("/api/v1/users?status=deleted", headers=OWNER)
    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["fields"]


def test_the_api_needs_no_csrf_token(client):
    """Bearer-token and JSON calls are not forms: CSRF is the web forms' concern."""
    response = client.post("/api/v1/auth/password/forgot", json={})
    assert response.status_code == 422
