"""The clients side of the gateway: accepting a portal invitation signs the contact in with the
session the acceptance returns (no second, throttled, password login), and page numbers past
what the service pages through are a clear 422."""

import re

import pytest

from kit.errors import Conflict, NotFound, RateLimited

CONTACT = {
    "principal_id": "00000000-0000-0000-0000-0000000000c3",
    "kind": "contact",
    "agency_id": "00000000-0000-0000-0000-00000000a9e1",
    "name": "Ada",
    "email": "ada@acme.com",
    "role": None,
    "permissions": [],
    "client_id": "00000000-0000-0000-0000-0000000000d4",
    "contact_id": "00000000-0000-0000-0000-0000000000e5",
}
INVITATION = {
    "invitation_id": "i-1",
    "agency_id": CONTACT["agency_id"],
    "contact_id": CONTACT["contact_id"],
    "contact_name": "Ada",
    "email": "ada@acme.com",
    "client_id": CONTACT["client_id"],
    "client_name": "Acme",
    "message": "",
    "expires_at": "2026-12-01T00:00:00+00:00",
}
ACCEPTED = {
    "contact_id": CONTACT["contact_id"],
    "client_id": CONTACT["client_id"],
    "agency_id": CONTACT["agency_id"],
    "email": "ada@acme.com",
    "principal": CONTACT,
    "session_token": "portal-session",
}


def throttled_login(*args, **kwargs):
    raise RateLimited("Too many attempts from your network.", {"retry_after": 900})


@pytest.fixture
def accepting(rpc):
    rpc.answers[("clients", "get_invitation")] = lambda token: INVITATION
    rpc.answers[("clients", "accept_invitation")] = lambda token, password: ACCEPTED
    rpc.answers[("identity", "login")] = throttled_login  # must not be needed
    rpc.answers[("identity", "authenticate_session")] = lambda token: {"portal-session": CONTACT}[
        token
    ]
    return rpc


def test_accepting_an_invitation_over_the_api_signs_in_with_the_returned_session(client, accepting):
    response = client.post(
        "/api/v1/portal/invitations/accept",
        json={"token": "tok", "password": "a-long-portal-password"},
    )
    assert response.status_code == 200, response.json
    assert response.json["contact_id"] == CONTACT["contact_id"]
    assert "identity.login" not in accepting.methods()
    with client.session_transaction() as cookie:
        assert cookie["sid"] == "portal-session"


def csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def accept_on_the_page(client):
    """Open the invitation page and accept it with the same password typed twice."""
    token = csrf_token(client.get("/portal/invitations/accept?token=tok").data.decode())
    password = "a-long-portal-password"
    return client.post(
        "/portal/invitations/accept",
        data={
            "csrf_token": token,
            "token": "tok",
            "password": password,
            "password_confirm": password,
        },
    )


def test_accepting_an_invitation_on_the_page_signs_in_with_the_returned_session(client, accepting):
    response = accept_on_the_page(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/")
    assert "identity.login" not in accepting.methods()
    with client.session_transaction() as cookie:
        assert cookie["sid"] == "portal-session"


def test_an_email_refused_on_accepting_shows_the_message_on_the_page(client, accepting):
    def refuse(token, password):
        raise Conflict("This e-mail address cannot be given portal access.", {"email": "x"})

    accepting.answers[("clients", "accept_invitation")] = refuse
    response = accept_on_the_page(client)
    assert response.status_code == 409
    assert "cannot be given portal access" in response.data.decode()


def test_an_invitation_gone_while_accepting_shows_the_invalid_link_page(client, accepting):
    def gone(token, password):
        raise NotFound("This invitation link is not valid any more.")

    accepting.answers[("clients", "accept_invitation")] = gone
    response = accept_on_the_page(client)
    assert response.status_code == 404
    assert "not valid any more" in response.data.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/clients?page=100001",
        "/api/v1/clients?page=99999999999999999999",
        "/api/v1/contacts?page=1000000",
        "/api/v1/requests?page=1000000",
        "/api/v1/clients?per_page=101",
        "/api/v1/clients?per_page=0",
    ],
)
def test_a_page_past_the_last_possible_one_is_a_clear_422(client, rpc, path):
    response = client.get(path, headers={"Authorization": "Bearer owner-token"})
    assert response.status_code == 422
    assert set(response.json["error"]["fields"]) & {"page", "per_page"}
    assert [m for m in rpc.methods() if m.startswith("clients.")] == []


def test_the_largest_page_reaches_the_service(client, rpc):
    rpc.answers[("clients", "list_clients")] = lambda **kw: {
        "items": [],
        "total": 0,
        "page": kw["page"],
        "per_page": kw["per_page"],
    }
    response = client.get(
        "/api/v1/clients?page=100000", headers={"Authorization": "Bearer owner-token"}
    )
    assert response.status_code == 200 and response.json["page"] == 100000
