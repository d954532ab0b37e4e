"""Who may do what: anonymous API calls get 401 JSON, anonymous pages go to the login page, a
role without the permission gets 403, and web forms need their CSRF token."""

import re

import pytest

OWNER = {"Authorization": "Bearer owner-token"}
MEMBER = {"Authorization": "Bearer member-token"}
CONTACT = {"Authorization": "Bearer contact-token"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/users"),
        ("post", "/api/v1/roles"),
        ("patch", "/api/v1/agency"),
        ("get", "/api/v1/tokens"),
        ("delete", "/api/v1/tokens/123"),
    ],
)
def test_anonymous_api_call_is_401_json(client, rpc, method, path):
    response = getattr(client, method)(path, json={})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthenticated"
    assert rpc.calls == []


def test_a_wrong_api_token_is_401_not_anonymous(client):
    response = client.get("/api/v1/openapi.json", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json()["error"]["message"] == "This API token is not valid."


@pytest.mark.parametrize("path", ["/", "/users/", "/users/roles", "/settings/", "/billing/"])
def test_anonymous_page_redirects_to_login_with_next(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={path}"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/users"),
        ("post", "/api/v1/users/1/deactivate"),
        ("get", "/api/v1/roles"),
        ("get", "/api/v1/permissions"),
        ("patch", "/api/v1/agency"),
    ],
)
def test_missing_permission_is_403_json(client, rpc, method, path):
    response = getattr(client, method)(path, json={}, headers=MEMBER)
    assert response.status_code == 403
    error = response.get_json()["error"]
    assert error["code"] == "permission_denied"
    assert error["fields"]["permission"]
    assert rpc.methods() == ["identity.authenticate_api_token"]


def test_missing_permission_on_a_page_is_a_403_page(client):
    response = client.get("/users/", headers=MEMBER)
    assert response.status_code == 403
    assert b"add, change and deactivate users and roles" in response.data
    assert b"manage_users" not in response.data


def test_portal_contact_cannot_use_team_pages_or_api(client):
    assert client.get("/api/v1/me", headers=CONTACT).status_code == 403
    page = client.get("/", headers=CONTACT)
    assert page.status_code == 403
    assert b'data-test="back-to-portal"' in page.data and b"Back to the dashboard" not in page.data


def test_signed_in_member_sees_the_trial_banner_fetched_once(client, rpc):
    response = client.get("/settings/", headers=MEMBER)
    assert response.status_code == 200
    assert b'data-test="trial-banner"' in response.data
    assert rpc.methods().count("identity.get_agency") == 1


def test_the_navbar_hides_users_without_manage_users(client):
    page = client.get("/billing/", headers=MEMBER).data.decode()
    assert 'href="/users/"' not in page
    page = client.get("/billing/", headers=OWNER).data.decode()
    assert 'href="/users/"' in page


def test_api_calls_do_not_fetch_the_agency_for_the_banner(client, rpc):
    rpc.answers[("identity", "list_api_tokens")] = lambda: []
    client.get("/api/v1/tokens", headers=OWNER)
    assert rpc.methods() == ["identity.authenticate_api_token", "identity.list_api_tokens"]


def test_web_form_post_without_csrf_token_is_refused(client, rpc):
    response = client.post("/login", data={"email": "a@b.co", "password": "long-password-1"})
    assert response.status_code == 400
    assert b"Reload the page" in response.data
    assert rpc.calls == []


def test_web_form_post_with_csrf_token_reaches_identity(client, rpc):
    def refuse(email, password, ip):
        from kit.errors import Unauthenticated

        raise Unauthenticated("The e-mail address or password is not right.")

    rpc.answers[("identity", "login")] = refuse
    page = client.get("/login").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"csrf_token": token, "email": "a@b.co", "password": "long-password-1"}
    )
    assert response.status_code == 401
    html = response.data.decode()
    assert "The e-mail address or password is not right." in html
    assert 'value="a@b.co"' in html  # what was typed is kept
    assert "long-password-1" not in html  # but never the password


def test_login_starts_an_httponly_samesite_session_cookie(client, rpc):
    rpc.answers[("identity", "login")] = lambda email, password, ip: {
        "principal": {"name": "Olivia"},
        "session_token": "s3cret",
    }
    response = client.post("/api/v1/auth/login", json={"email": "a@b.co", "password": "pw"})
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("agency_session=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_next_after_login_stays_on_this_site(client, rpc):
    rpc.answers[("identity", "login")] = lambda email, password, ip: {
        "principal": {"name": "Olivia"},
        "session_token": "s3cret",
    }
    page = client.get("/login?next=//evil.example/x").data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "email": "a@b.co",
            "password": "pw-long-enough",
            "next": "//evil.example/x",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
