"""Permission matrix: every /api/v1 operation that names the permissions it needs
(`@permission_required(...)` in gateway/gateway/api) is called by a user whose role holds every
other permission but not those: 403 `permission_denied`, before anything is read or changed.
The table is read from the gateway's own routes, so a new operation joins it by itself; the
operations in it are checked against the OpenAPI document (each is published)."""

from __future__ import annotations

import functools
import importlib
import re
from pathlib import Path

import pytest

from kit import permissions
from tests.e2e.test_tenant_isolation_matrix import agency_a_ids
from tests.support.api import STRONG_PASSWORD, ApiClient, confirm_team_address, unique_email

API = Path(__file__).resolve().parents[2] / "gateway" / "gateway" / "api"
ROUTE = re.compile(
    r'@api\.(get|post|put|patch|delete)\("([^"]+)"\)\s*\n@permission_required\(([^)]*)\)'
)


def required_permissions() -> dict[tuple[str, str], frozenset[str]]:
    """(method, OpenAPI path) -> the permissions its decorator names."""
    table = {}
    for source in sorted(API.glob("*.py")):
        module = importlib.import_module(f"gateway.api.{source.stem}")
        for method, rule, names in ROUTE.findall(source.read_text()):
            # the names as the module sees them (`permissions.X`, or a constant of its own)
            needed = frozenset(
                functools.reduce(getattr, n.strip().split("."), module)
                for n in names.split(",")
                if n.strip()
            )
            path = "/api/v1" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)
            table[(method, path)] = needed
    return table


TABLE = required_permissions()


def test_the_table_covers_the_published_operations(new_agency):
    owner = new_agency()
    spec = owner.get("/openapi.json", expect=200).json()
    published = {(m, p) for p, item in spec["paths"].items() for m in item if m != "parameters"}
    assert len(TABLE) > 50
    assert set(TABLE) <= published, set(TABLE) - published


@pytest.fixture
def agency(new_agency):
    owner = new_agency()
    return owner, agency_a_ids(owner)


def user_without(owner: ApiClient, missing: frozenset[str], users: dict) -> ApiClient:
    """A token client of a user whose role has every permission but `missing`."""
    if missing not in users:
        held = sorted(permissions.ALL - missing)
        name = "Lacks " + "+".join(sorted(missing))
        role = owner.post("/roles", json={"name": name[:100], "permissions": held}, expect=201)
        email = unique_email("lacking")
        body = {
            "name": "Lara Lacking",
            "email": email,
            "role_id": role.json()["id"],
            "password": STRONG_PASSWORD,
        }
        owner.post("/users", json=body, expect=201)
        confirm_team_address(owner, email)  # a new team user is pending until then
        web = ApiClient(owner.base_url)
        web.post("/auth/login", json={"email": email, "password": STRONG_PASSWORD}, expect=200)
        token = web.post("/tokens", json={"name": "matrix"}, expect=201).json()["token"]
        users[missing] = ApiClient(owner.base_url, token)
    return users[missing]


def test_every_operation_refuses_a_role_without_its_permissions(agency):
    owner, ids = agency
    users: dict = {}
    wrong = []
    for (method, path), needed in sorted(TABLE.items()):
        if not needed:
            continue
        caller = user_without(owner, needed, users)
        url = path.removeprefix("/api/v1")
        for name in re.findall(r"{(\w+)}", path):
            url = url.replace(f"{{{name}}}", ids.get(name, ids["client_id"]))
        sent = {} if method == "get" else {"json": {}}
        response = caller.request(method, url, **sent)
        code = response.json().get("error", {}).get("code") if response.content else None
        if response.status_code != 403 or code != "permission_denied":
            wrong.append(
                f"{method.upper()} {path} without {sorted(needed)}: "
                f"{response.status_code} {response.text[:150]}"
            )
    assert wrong == [], "\n".join(wrong)
