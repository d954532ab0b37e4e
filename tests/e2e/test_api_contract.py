"""The API keeps its published contract, checked with generated requests (schemathesis).

For every operation of /api/v1/openapi.json, a few requests built from the document (valid ones,
and invalid ones: wrong types, missing fields, out-of-range values) go to the running system as
an agency's owner. Whatever is sent, the answer is never a 5xx, and it is one the document
describes: a documented status, the documented media type, a JSON body matching its schema.

The cases are derandomized: every run sends the same requests, and a failure shows the request
as a curl command that reproduces it.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.pytest.lazy import get_all_tests
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import STRONG_PASSWORD, ApiClient, unique_email

pytestmark = pytest.mark.e2e

# The two phases of a test: "explicit" is the schema's examples and schemathesis' edge cases
# (its coverage phase: boundaries, missing and wrongly typed fields); "generate" is random valid
# and invalid input. No shrinking: the first failing request is the one reported.
SETTINGS = settings(
    max_examples=6,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
# The bearer token is this test's own (see `call`): generated credentials would only be refused.
CONFIG = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def owner(new_agency) -> ApiClient:
    return new_agency()


@pytest.fixture
def known_ids(owner) -> dict[str, str]:
    """Ids of things that exist in the owner's agency, by path parameter name: half of the
    generated requests use them, so that they reach the services' checks, not only "not found".
    None is the owner themself (a generated PATCH could take away their permissions)."""
    client = owner.post("/clients", json={"name": "Contract Client"}, expect=201).json()
    contact = owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Casey Contact", "email": unique_email("contact"), "invite": True},
        expect=201,
    ).json()
    entry = owner.post(
        f"/clients/{client['id']}/vault",
        json={"label": "CMS", "username": "admin", "password": "s3cret"},
        expect=201,
    ).json()
    logged = owner.post(
        "/requests", json={"client_id": client["id"], "title": "A new landing page"}, expect=201
    ).json()
    role = owner.post(
        "/roles", json={"name": "Contract Role", "permissions": ["view_clients"]}, expect=201
    ).json()
    user = owner.post(
        "/users",
        json={
            "name": "Uma User",
            "email": unique_email("user"),
            "role_id": role["id"],
            "password": STRONG_PASSWORD,
        },
        expect=201,
    ).json()
    job = owner.post("/clients/import", json={"csv": "name\nImported Client\n"}, expect=201).json()
    invoice = charged_invoice(owner, client["id"])
    return {
        "client_id": client["id"],
        "contact_id": contact["id"],
        "invitation_id": contact["invitation"]["id"],
        "entry_id": entry["id"],
        "request_id": logged["id"],
        "role_id": role["id"],
        "user_id": user["id"],
        "job_id": job["id"],
        "invoice_id": invoice["id"],
    }


def charged_invoice(owner: ApiClient, client_id: str) -> dict:
    """An invoice of a charge made now, once billing has learnt of the client (an event)."""
    service = owner.post("/services", json={"name": "Contract Service"}, expect=201).json()
    body = {"client_id": client_id, "service_id": service["id"], "amount": 4200}
    deadline = time.monotonic() + 20
    while True:
        answer = owner.post("/charges", json=body)
        if answer.status_code == 201 or time.monotonic() > deadline:
            assert answer.status_code == 201, answer.text
            return answer.json()
        time.sleep(0.2)


def _use_known_ids(case, known_ids: dict[str, str]) -> None:
    """Every other generated path id (chosen by the generated value, so runs repeat) becomes an
    id that exists."""
    for name, value in (case.path_parameters or {}).items():
        if name in known_ids and hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 0:
            case.path_parameters[name] = known_ids[name]


# Every operation in one test: past the suite's 300 s on a busy 2-core machine (about 100
# operations, a few requests each), so it has its own limit.
@pytest.mark.timeout(1200)
def test_every_operation_keeps_its_documented_contract(base_url, owner, known_ids, subtests):
    schema = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", config=CONFIG)
    # They would end this test's own session or revoke its token.
    schema = schema.exclude(method="POST", path="/api/v1/auth/logout")
    schema = schema.exclude(method="DELETE", path="/api/v1/tokens/{token_id}")
    headers = {"Authorization": f"Bearer {owner.token}"}

    def call(case):
        _use_known_ids(case, known_ids)
        case.call_and_validate(headers=headers, checks=CHECKS, timeout=30)

    # What `@schema.parametrize()` runs for each operation; its pytest glue (renaming test
    # nodes) does not work with pytest 9.2, so each operation is a subtest here.
    tests = get_all_tests(schema=schema, test_func=call, settings=SETTINGS, given_kwargs={})
    count = 0
    for result in tests:
        operation, test = result.ok()  # an operation schemathesis cannot read fails here
        count += 1
        with subtests.test(operation.label):
            test()
    assert count > 40
