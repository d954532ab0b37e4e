"""A page's client select or filter offers every live client of the agency from one call to the
clients service (`client_names`), however many clients there are: never a list page per hundred
clients, nor a list of tags it does not show."""

from __future__ import annotations

import pytest

OWNER = {"Authorization": "Bearer owner-token"}
CONTACT = "00000000-0000-0000-0000-0000000000e5"
EMPTY = {"items": [], "total": 0, "page": 1, "per_page": 25, "next_cursor": None}
CLIENTS = [{"id": f"c-{n}", "name": f"Client {n:04d}"} for n in range(1_000)]


@pytest.fixture
def agency_of_a_thousand_clients(rpc):
    """An owner who may do everything, in an agency of 1,000 clients."""
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    principal = {
        **owner,
        "permissions": [
            "view_clients",
            "create_clients",
            "edit_clients",
            "view_billing",
            "manage_billing",
            "manage_services",
            "view_reports",
        ],
    }
    rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
    rpc.answers[("clients", "client_names")] = lambda: CLIENTS
    rpc.answers[("clients", "list_contacts")] = lambda **filters: EMPTY
    rpc.answers[("clients", "list_tags")] = lambda: [
        {"name": "vip", "client_count": 3, "contact_count": 5}
    ]
    rpc.answers[("clients", "get_contact")] = lambda contact_id: {
        "id": contact_id,
        "client_id": "c-999",
        "client_name": "Client 0999",
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "position": "",
        "phone": "",
        "tags": [],
        "portal_status": "none",
        "has_avatar": False,
        "archived": False,
        "created_at": "2026-11-01T10:00:00+00:00",
        "last_activity_at": "2026-11-01T10:00:00+00:00",
    }
    rpc.answers[("clients", "list_invitations")] = lambda **filters: EMPTY
    rpc.answers[("clients", "list_requests")] = lambda **filters: EMPTY
    rpc.answers[("identity", "list_users")] = lambda status=None: []
    rpc.answers[("billing", "list_services")] = lambda **filters: EMPTY
    rpc.answers[("billing", "list_assignments")] = lambda **filters: EMPTY
    rpc.answers[("billing", "list_invoices")] = lambda **filters: EMPTY
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    rpc.answers[("reporting", "dashboard")] = lambda **filters: None
    rpc.answers[("reporting", "get_layout")] = lambda: {"widgets": []}
    rpc.answers[("reporting", "revenue_report")] = lambda **filters: {
        "rows": [],
        "group": "client",
        "totals": [],
    }
    return rpc


@pytest.mark.parametrize(
    "path",
    [
        "/contacts/",
        "/contacts/new",
        f"/contacts/{CONTACT}",
        "/requests/",
        "/services/",
        "/services/assign",
        "/services/charge",
        "/billing/",
        "/",
        "/reports/revenue",
    ],
)
def test_a_client_select_of_a_thousand_clients_is_one_call(
    client, agency_of_a_thousand_clients, path
):
    rpc = agency_of_a_thousand_clients
    response = client.get(path, headers=OWNER)
    assert response.status_code == 200, response.data.decode()[:2000]
    page = response.data.decode()
    assert 'value="c-0"' in page and 'value="c-999"' in page
    assert rpc.methods().count("clients.client_names") == 1
    # (the dashboard's "Get started" asks whether there is a client: a page of one)
    pages = [kw for _, method, _, _, kw in rpc.calls if method == "list_clients"]
    assert [kw for kw in pages if kw.get("per_page") != 1] == []
