"""The smaller access rules, each decided in docs/contracts.md: the API logout needs JSON or the
CSRF token with a session cookie, listing the vault needs view_vault, and portal invitations
need manage_client_organizations (the pages hide what the role cannot do)."""

from __future__ import annotations

import pytest

from kit.permissions import CREATE_CLIENTS, EDIT_CLIENTS, VIEW_CLIENTS

CLIENT = "00000000-0000-0000-0000-0000000000d4"
CONTACT = "00000000-0000-0000-0000-0000000000e5"
INVITATION = "00000000-0000-0000-0000-0000000000e6"


@pytest.fixture
def clerk(rpc):
    """A bearer token for a user who may add and edit clients, nothing more."""
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    principal = {**owner, "permissions": [VIEW_CLIENTS, CREATE_CLIENTS, EDIT_CLIENTS]}
    rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
    return {"Authorization": "Bearer clerk"}


def test_a_cookie_session_logout_needs_json_or_the_csrf_token(client, rpc):
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    rpc.answers[("identity", "authenticate_session")] = lambda token: owner
    rpc.answers[("identity", "logout")] = lambda token: None
    with client.session_transaction() as session:
        session["sid"] = "a-session"
    forced = client.post("/api/v1/auth/logout", data="", content_type="text/plain")
    assert forced.status_code == 403
    assert "identity.logout" not in rpc.methods()
    assert client.post("/api/v1/auth/logout", json={}).status_code == 204
    assert "identity.logout" in rpc.methods()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/api/v1/clients/{CLIENT}/vault"),
        ("post", f"/api/v1/contacts/{CONTACT}/invitation"),
        ("delete", f"/api/v1/contacts/{CONTACT}/invitation"),
        ("post", f"/api/v1/invitations/{INVITATION}/resend"),
        ("delete", f"/api/v1/invitations/{INVITATION}"),
        ("post", f"/contacts/{CONTACT}/invitation"),
        ("post", f"/contacts/{CONTACT}/invitation/cancel"),
        ("post", f"/invitations/{INVITATION}/resend"),
        ("post", f"/invitations/{INVITATION}/cancel"),
    ],
)
def test_the_vault_list_and_portal_invitations_are_refused_without_their_permission(
    app, rpc, clerk, method, path
):
    app.config["WTF_CSRF_ENABLED"] = False
    response = getattr(app.test_client(), method)(path, json={}, headers=clerk)
    assert response.status_code == 403
    # (the refusal page's navigation may ask for its Requests badge; nothing else is asked)
    asked = [m for m in rpc.methods() if m.startswith("clients.")]
    assert not [m for m in asked if m != "clients.count_requests"]
