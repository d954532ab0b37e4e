"""The OpenAPI document lists every /api/v1 route, with the schemas it names and bearer auth."""

import re

import pytest

METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def spec(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _api_routes(app):
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[a-z]+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
            for method in rule.methods & METHODS:
                yield method.lower(), path


def test_every_api_route_is_documented(app, spec):
    routes = sorted(set(_api_routes(app)))
    assert len(routes) > 20
    missing = [(m, p) for m, p in routes if m not in spec["paths"].get(p, {})]
    assert missing == []


def test_identity_routes_are_in_the_document(spec):
    for path in [
        "/api/v1/auth/signup",
        "/api/v1/auth/login",
        "/api/v1/auth/logout",
        "/api/v1/auth/password/forgot",
        "/api/v1/auth/password/reset",
        "/api/v1/me",
        "/api/v1/me/password",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
        "/api/v1/users",
        "/api/v1/users/{user_id}",
        "/api/v1/users/{user_id}/deactivate",
        "/api/v1/users/{user_id}/reactivate",
        "/api/v1/roles",
        "/api/v1/roles/{role_id}",
        "/api/v1/permissions",
        "/api/v1/agency",
        "/api/v1/agency/entitlements",
        "/api/v1/plans",
    ]:
        assert path in spec["paths"], path


def test_document_is_openapi_3_with_bearer_auth(spec):
    assert spec["openapi"].startswith("3.")
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A personal API token",
    }
    assert {"bearerAuth": []} in spec["security"]
    # Signing up and logging in need no credentials.
    assert spec["paths"]["/api/v1/auth/signup"]["post"]["security"] == []


def test_request_bodies_come_from_the_marshmallow_schemas(spec):
    body = spec["paths"]["/api/v1/auth/signup"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][ref.split("/")[-1]]
    assert set(schema["required"]) == {"agency_name", "owner_name", "email", "password"}
    assert schema.get("additionalProperties") is False


def test_every_schema_reference_resolves(spec):
    refs = set(re.findall(r'"\$ref": "#/components/(\w+)/(\w+)"', _dump(spec)))
    for kind, name in refs:
        assert name in spec["components"][kind], (kind, name)


def test_path_parameters_are_declared(spec):
    parameters = spec["paths"]["/api/v1/users/{user_id}"]["parameters"]
    assert parameters == [
        {"in": "path", "name": "user_id", "required": True, "schema": {"type": "string"}}
    ]


def test_docs_page_renders_every_path(client, spec):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    page = response.data.decode()
    for path in spec["paths"]:
        assert path in page
    assert "cdn" not in page.lower()


def _dump(spec) -> str:
    import json

    return json.dumps(spec)
