"""X-Forwarded-For and X-Request-ID are believed only from a configured proxy
(TRUSTED_PROXIES): otherwise a caller could pick the address the login throttle counts, or
what the logs say its request was."""

from __future__ import annotations

import pytest

from gateway.proxies import parse_trusted_proxies

LOGIN = {"email": "olivia@example.com", "password": "a-long-password-1"}


@pytest.fixture
def login_ip(app, rpc):
    """login_ip(remote_addr, headers) -> the address the gateway gave identity's login."""
    rpc.answers[("identity", "login")] = lambda email, password, ip: {
        "principal": {},
        "session_token": "s",
        "ip": ip,
    }

    def attempt(remote_addr: str, headers: dict) -> str:
        client = app.test_client()
        response = client.post(
            "/api/v1/auth/login",
            json=LOGIN,
            headers=headers,
            environ_base={"REMOTE_ADDR": remote_addr},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        return [args[2] for _, method, _, args, _ in rpc.calls if method == "login"][-1]

    return attempt


def test_without_trusted_proxies_x_forwarded_for_is_ignored(login_ip):
    assert login_ip("198.51.100.7", {"X-Forwarded-For": "203.0.113.1"}) == "198.51.100.7"


def test_from_a_trusted_proxy_the_address_it_appended_is_the_clients(app, login_ip):
    app.wsgi_app.trusted = parse_trusted_proxies("10.0.0.0/8, 192.0.2.1")
    # A client's own X-Forwarded-For entry (the first) is not believed, only the proxy's.
    headers = {"X-Forwarded-For": "203.0.113.1, 198.51.100.7"}
    assert login_ip("10.1.2.3", headers) == "198.51.100.7"
    # From an address that is not a proxy, the header is the caller's invention.
    assert login_ip("198.51.100.99", headers) == "198.51.100.99"


def test_a_request_id_is_kept_only_from_a_trusted_proxy(app, client):
    headers = {"X-Request-ID": "abc-123"}
    assert client.get("/healthz", headers=headers).headers["X-Request-ID"] != "abc-123"
    app.wsgi_app.trusted = parse_trusted_proxies("127.0.0.1")
    assert client.get("/healthz", headers=headers).headers["X-Request-ID"] == "abc-123"
    odd = client.get("/healthz", headers={"X-Request-ID": "x" * 500})
    assert odd.headers["X-Request-ID"] != "x" * 500


def test_a_malformed_trusted_proxy_stops_the_gateway_with_its_name():
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"):
        parse_trusted_proxies("10.0.0.1, proxy.internal")
