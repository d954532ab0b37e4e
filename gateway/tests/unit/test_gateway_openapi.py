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


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield method, path, item, operation


def test_every_operation_with_a_path_parameter_documents_404(spec):
    with_ids = [(m, p, op) for m, p, item, op in _operations(spec) if item.get("parameters")]
    assert len(with_ids) > 20
    assert [(m, p) for m, p, op in with_ids if "404" not in op["responses"]] == []


def test_every_operation_documents_the_shared_failures(spec):
    for method, path, _, operation in _operations(spec):
        statuses = set(operation["responses"])
        expected = {"400", "401", "503"}
        if operation.get("security") != []:
            expected.add("403")
        if "requestBody" in operation:
            expected |= {"413", "415", "422"}
        if any(p["in"] == "query" for p in operation.get("parameters", [])):
            expected.add("422")
        assert expected <= statuses, (method, path, expected - statuses)
        # Every status is named: an undocumented one is a mistake the contract test finds.
        assert "default" not in statuses, (method, path)


def test_every_failure_answers_the_error_body(spec):
    responses = spec["components"]["responses"]
    assert {"NotFound", "ValidationFailed", "PermissionDenied"} <= set(responses)
    for method, path, _, operation in _operations(spec):
        for status, response in operation["responses"].items():
            if status >= "400":
                response = responses.get(response.get("$ref", "").split("/")[-1], response)
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (method, path, status)


def test_success_answers_name_their_body(spec):
    get_user = spec["paths"]["/api/v1/users/{user_id}"]["get"]["responses"]["200"]
    assert get_user["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/User"
    }
    assert get_user["description"] == "The user"
    body = spec["paths"]["/api/v1/users/{user_id}"]["patch"]["requestBody"]
    assert body["required"] is True


def test_response_schemas_have_every_field_identity_answers(spec):
    schemas = spec["components"]["schemas"]
    assert "is_default" in schemas["Plan"]["properties"]
    assert "invitation_pending" in schemas["User"]["properties"]
    assert "created_at" in schemas["Agency"]["properties"]


def test_the_reference_pages_are_public_and_documented_by_their_media_type(spec):
    docs = spec["paths"]["/api/v1/docs"]["get"]
    assert list(docs["responses"]["200"]["content"]) == ["text/html"]
    document = spec["paths"]["/api/v1/openapi.json"]["get"]
    assert list(document["responses"]["200"]["content"]) == ["application/json"]
    assert docs["security"] == document["security"] == []


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


def test_every_list_answers_the_paged_shape_and_takes_page_and_per_page(spec):
    components = spec["components"]["schemas"]
    lists = []
    for path, operations in spec["paths"].items():
        operation = operations.get("get")
        body = (operation or {}).get("responses", {}).get("200", {}).get("content", {})
        ref = body.get("application/json", {}).get("schema", {}).get("$ref", "")
        properties = components.get(ref.rsplit("/", 1)[-1], {}).get("properties", {})
        wrapped = {k: v for k, v in properties.items() if k not in ("total", "page", "per_page")}
        # A list: an answer made only of arrays (and paging), like {"users": [...]} once was.
        if wrapped and all(v.get("type") == "array" for v in wrapped.values()):
            lists.append(path)
            assert set(properties) == {"items", "total", "page", "per_page"}, path
            query = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            assert {"page", "per_page"} <= query, path
    assert "/api/v1/users" in lists and "/api/v1/roles" in lists and "/api/v1/tokens" in lists


def _links(spec, path):
    return spec["paths"][path]["post"]["responses"]["201"]["links"]


def test_creates_link_to_the_operations_that_use_the_created_id(spec):
    clients = _links(spec, "/api/v1/clients")
    assert clients["get-clients-client_id"] == {
        "operationRef": "#/paths/~1api~1v1~1clients~1{client_id}/get",
        "parameters": {"client_id": "$response.body#/id"},
    }
    assert {"post-clients-client_id-contacts", "get-clients-client_id-vault"} <= set(clients)
    # An id that goes in another create's body.
    assert clients["post-assignments-client_id"]["requestBody"] == {
        "client_id": "$response.body#/id"
    }
    assert "post-assignments-service_id" in _links(spec, "/api/v1/services")
    assert "post-assignments-assignment_id-end" in _links(spec, "/api/v1/assignments")
    # Ids used under another path: a contact made under its client, the invoice of a charge.
    contacts = _links(spec, "/api/v1/clients/{client_id}/contacts")
    assert contacts["patch-contacts-contact_id"]["parameters"] == {
        "contact_id": "$response.body#/id"
    }
    assert {"get-invoices-invoice_id-pdf", "post-invoices-invoice_id-void"} <= set(
        _links(spec, "/api/v1/charges")
    )
    # The create's own path parameters are kept.
    vault = _links(spec, "/api/v1/clients/{client_id}/vault")
    assert vault["post-clients-client_id-vault-entry_id-reveal"]["parameters"] == {
        "entry_id": "$response.body#/id",
        "client_id": "$request.path.client_id",
    }


def test_every_link_names_an_operation_of_the_document(spec):
    count = 0
    for item in spec["paths"].values():
        for operation in (item[m] for m in ("get", "post", "put", "patch", "delete") if m in item):
            for response in operation["responses"].values():
                for link in response.get("links", {}).values():
                    _, _, path, method = link["operationRef"].split("/")
                    target = spec["paths"][path.replace("~1", "/").replace("~0", "~")]
                    assert method in target
                    names = {p["name"] for p in target.get("parameters", [])}
                    assert names <= set(link.get("parameters", {})) or "requestBody" in link
                    count += 1
    assert count > 50
