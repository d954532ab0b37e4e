"""Input no view should ever see: NUL characters, absurd nesting, cross-site API posts riding on
the session cookie, and redirects that leave the site."""

import pytest

from gateway.redirects import local_path, local_referrer


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example",
        "/\t/evil.example",
        "/%09/evil.example".replace("%09", "\t"),
        "https://evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\n/x",
        "",
        None,
    ],
)
def test_redirect_targets_off_this_site_are_refused(target):
    assert local_path(target) is None


@pytest.mark.parametrize("target", ["/", "/clients/", "/clients/?page=2&q=a%20b", "/users/1/edit"])
def test_paths_on_this_site_are_kept(target):
    assert local_path(target) == target


def test_a_referrer_counts_only_when_it_is_this_site():
    assert (
        local_referrer("http://app.test/clients/new?x=1", "http://app.test/") == "/clients/new?x=1"
    )
    assert local_referrer("http://evil.test/clients/new", "http://app.test/") is None


def test_a_nul_character_in_a_query_is_a_400_and_reaches_no_service(client, rpc):
    response = client.get(
        "/api/v1/clients?q=a%00b", headers={"Authorization": "Bearer owner-token"}
    )
    assert response.status_code == 400
    assert "NUL" in response.json["error"]["message"]
    assert rpc.methods() == []


def test_a_nul_character_in_a_json_body_is_a_400(client, rpc):
    response = client.post(
        "/api/v1/tokens",
        data='{"name": "a\\u0000b"}',
        content_type="application/json",
        headers={"Authorization": "Bearer owner-token"},
    )
    assert response.status_code == 400
    assert not [m for m in rpc.methods() if m != "identity.authenticate_api_token"]


def test_absurdly_nested_json_is_a_400_not_a_crash(client, rpc):
    body = "[" * 100000 + "]" * 100000
    response = client.post(
        "/api/v1/tokens",
        data=body,
        content_type="application/json",
        headers={"Authorization": "Bearer owner-token"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_a_cookie_session_api_post_that_is_not_json_is_refused(client, rpc):
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    rpc.answers[("identity", "authenticate_session")] = lambda token: owner
    with client.session_transaction() as session:
        session["sid"] = "a-session"
    response = client.post(
        "/api/v1/clients/00000000-0000-0000-0000-000000000001/archive",
        data="x",
        content_type="text/plain",
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403
    assert "X-CSRFToken" in response.json["error"]["message"]
    assert "clients.archive_client" not in rpc.methods()


def _raw_upload(filename: bytes, fields: dict[str, bytes]) -> tuple[bytes, str]:
    """A multipart body with the file name sent raw (clients escape control characters)."""
    parts = [
        b'--b\r\nContent-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n' + value
        for name, value in fields.items()
    ]
    parts.append(
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="'
        + filename
        + b'"\r\n\r\nname\nAcme\n'
    )
    return b"\r\n".join(parts) + b"\r\n--b--\r\n", "multipart/form-data; boundary=b"


def test_a_nul_in_an_uploaded_files_name_is_a_400_on_the_import_page(app, rpc):
    app.config["WTF_CSRF_ENABLED"] = False
    body, content_type = _raw_upload(b"a\x00b.csv", {"kind": b"clients"})
    response = app.test_client().post(
        "/clients/import",
        data=body,
        content_type=content_type,
        headers={"Authorization": "Bearer owner-token"},
    )
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert rpc.methods() == []


@pytest.mark.parametrize(
    "body", ['{"email": "\\ud800@example.com"}', '{"email": ["\\uDFFF"]}', '{"\\ud800": 1}']
)
def test_a_lone_surrogate_in_a_json_body_is_a_400_and_reaches_no_service(client, rpc, body):
    response = client.post(
        "/api/v1/auth/password/forgot",
        data=body,
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "surrogate" in response.json["error"]["message"]
    assert rpc.methods() == []
