"""Tenant isolation, generated from the OpenAPI document: every operation of /api/v1 that names
an id in its path is called by another agency's owner (token and session) with the ids of
agency A's own records, and answers 404; nothing of agency A changes (its lists, compared
before and after). Operations that take a body get one built from their schema's required
fields, so that they reach the id check: a body the gateway refuses (422) is allowed only
where the schema's rules cannot be met by such a body, and still changes nothing."""

from __future__ import annotations

import re
import uuid
from datetime import date

import pytest

from tests.e2e.test_billing_api import issued_invoice
from tests.support.api import STRONG_PASSWORD, ApiClient, unique_email
from tests.support.clients import portal_session

METHODS = ("get", "post", "put", "patch", "delete")
# a 1x1 PNG, for the logo and avatar uploads
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)
# Not about one agency's records: the Stripe webhook is addressed by agency and checked by
# its signature (tests/e2e/test_billing_api.py).
EXCLUDED = {"/api/v1/webhooks/stripe/{agency_id}"}
# A's lists, compared before and after every call of the other agency.
SNAPSHOT = [
    "/clients?per_page=100",
    "/clients?status=archived&per_page=100",
    "/contacts?per_page=100",
    "/contacts?status=archived&per_page=100",
    "/users",
    "/roles",
    "/tokens",
    "/requests",
    "/services",
    "/assignments",
    "/invoices",
]


def agency_a_ids(owner: ApiClient) -> dict[str, str]:
    client, invoice = issued_invoice(owner)
    contact = owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Iris Isolated", "email": unique_email("iris"), "invite": True},
        expect=201,
    ).json()
    entry = owner.post(
        f"/clients/{client['id']}/vault", json={"label": "CMS", "password": "pw"}, expect=201
    ).json()
    request = owner.post(
        "/requests", json={"client_id": client["id"], "title": "A page"}, expect=201
    ).json()
    comment = owner.post(
        f"/requests/{request['id']}/comments",
        json={
            "body": "The brief",
            "attachments": [{"filename": "brief.txt", "data_base64": "VGhlIGJyaWVmLgo="}],
        },
        expect=201,
    ).json()
    field = owner.post(
        "/custom-fields", json={"name": "Iso Field", "type": "text"}, expect=201
    ).json()
    role = owner.post(
        "/roles", json={"name": "Iso Role", "permissions": ["view_clients"]}, expect=201
    ).json()
    user = owner.post(
        "/users",
        json={
            "name": "Ivy",
            "email": unique_email("ivy"),
            "role_id": role["id"],
            "password": STRONG_PASSWORD,
        },
        expect=201,
    ).json()
    job = owner.post("/clients/import", json={"csv": "name\nIso Imported\n"}, expect=201).json()
    token = owner.post("/tokens", json={"name": "iso"}, expect=201).json()
    assignment = owner.get("/assignments", params={"client_id": client["id"]}, expect=200)
    assignment = assignment.json()["items"][0]
    return {
        "client_id": client["id"],
        "contact_id": contact["id"],
        "invitation_id": contact["invitation"]["id"],
        "entry_id": entry["id"],
        "request_id": request["id"],
        "attachment_id": comment["attachments"][0]["id"],
        "field_id": field["id"],
        "role_id": role["id"],
        "user_id": user["id"],
        "job_id": job["id"],
        "token_id": token["id"],
        "invoice_id": invoice["id"],
        "assignment_id": assignment["id"],
        "service_id": assignment["service"]["id"],
        "event_id": str(uuid.uuid4()),
        "account": client["id"],  # a client's balance account
    }


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        # a reference the document lacks is test_gateway_openapi.py's to report, not this test's
        schema = spec["components"]["schemas"].get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def example_body(spec: dict, operation: dict) -> dict | None:
    """A body with every required field given a plausible value (first enum value, today for
    dates, a fresh uuid for ids, 1 for numbers)."""
    body = operation.get("requestBody")
    if not body:
        return None
    schema = _resolve(spec, body["content"].get("application/json", {}).get("schema", {}))
    values = {}
    for name in schema.get("required", []):
        prop = _resolve(spec, schema.get("properties", {}).get(name, {}))
        kind, fmt = prop.get("type"), prop.get("format")
        if "enum" in prop:
            values[name] = prop["enum"][0]
        elif fmt == "date" or name.endswith("_date") or name in ("as_of", "paid_on"):
            values[name] = date.today().isoformat()
        elif kind == "integer" or kind == "number":
            values[name] = max(1, prop.get("minimum", 1))
        elif kind == "boolean":
            values[name] = True
        elif kind == "array":
            values[name] = []
        elif kind == "object":
            values[name] = {}
        elif name.endswith("_id"):
            values[name] = str(uuid.uuid4())
        else:
            values[name] = "Isolation check"
    return values


def operations(spec: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, item in spec["paths"].items():
        if "{" in path and path not in EXCLUDED:
            found += [(m, path, item[m]) for m in METHODS if m in item]
    return found


def snapshot(owner: ApiClient) -> dict:
    return {path: owner.get(path, expect=200).json() for path in SNAPSHOT}


def portal_contact(owner: ApiClient) -> ApiClient:
    """A signed-in portal session of one of `owner`'s clients' contacts."""
    client = owner.post("/clients", json={"name": "Portal Co"}, expect=201).json()
    email = unique_email("portal")
    owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Pat Portal", "email": email, "invite": True},
        expect=201,
    )
    return portal_session(owner, owner.mailbox, email)


@pytest.mark.parametrize("credential", ["token", "session"])
def test_another_agencys_ids_are_not_found_in_every_operation(new_agency, base_url, credential):
    agency_a, agency_b = new_agency(), new_agency()
    ids = agency_a_ids(agency_a)
    spec = agency_a.get("/openapi.json", expect=200).json()
    if credential == "token":
        other = agency_b
    else:
        other = ApiClient(base_url)
        login = {"email": agency_b.email, "password": agency_b.password}
        other.post("/auth/login", json=login, expect=200)
    contact_b = portal_contact(agency_b)  # the portal's paths are a contact's, not the team's
    before = snapshot(agency_a)
    answers, unexpected = {}, []
    for method, path, operation in operations(spec):
        names = re.findall(r"{(\w+)}", path)
        missing = [n for n in names if n not in ids]
        assert not missing, f"{method.upper()} {path}: no id of agency A for {missing}"
        url = path.removeprefix("/api/v1")
        for name in names:
            url = url.replace(f"{{{name}}}", ids[name])
        content = (operation.get("requestBody") or {}).get("content", {})
        body = example_body(spec, operation)
        allowed = (404, 422) if operation.get("requestBody") else (404,)
        if "image/png" in content:
            sent = {"data": PNG, "headers": {"Content-Type": "image/png"}}
            if credential == "session":  # not JSON: refused for want of the page's CSRF token
                allowed = (404, 403)
        elif method == "get":
            sent = {}
        else:  # JSON for every unsafe call: a session's must be (gateway/input_checks.py)
            sent = {"json": body if body is not None else {}}
        caller = contact_b if path.startswith("/api/v1/portal/") else other
        response = caller.request(method, url, **sent)
        answers[f"{method.upper()} {path}"] = response.status_code
        if response.status_code not in allowed:
            unexpected.append(
                f"{method.upper()} {path}: {response.status_code} {response.text[:200]}"
            )
    assert len(answers) > 40
    assert unexpected == [], "\n".join(unexpected)
    not_found = sum(1 for status in answers.values() if status == 404)
    assert not_found >= len(answers) * 0.8, answers  # nearly all reach the id check
    assert snapshot(agency_a) == before
