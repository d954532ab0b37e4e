"""One error table, one JSON body: every API failure is {"error": {"code","message","fields"}}."""

import pytest
from flask import Blueprint

from gateway.proxies import parse_trusted_proxies
from kit.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    ValidationError,
)

OWNER = {"Authorization": "Bearer owner-token"}


@pytest.fixture
def raising_app(app):
    """The app with an API route and a page that raise whatever the test names."""
    from gateway.api.base import api

    errors = {}

    def api_raise():
        raise errors["exc"]

    def page_raise():
        raise errors["exc"]

    # Routes are added before the first request, on the blueprint's app-level map.
    app.add_url_rule("/api/v1/_raise", "api_raise", api_raise, methods=["GET", "POST"])
    page = Blueprint("raise_page", __name__)
    page.add_url_rule("/_raise", "page", page_raise, methods=["GET", "POST"])
    app.register_blueprint(page)
    app.errors = errors
    assert api  # the real blueprint is registered too
    return app


@pytest.mark.parametrize(
    ("exc", "status", "code"),
    [
        (NotFound("No such user."), 404, "not_found"),
        (PermissionDenied("Not yours."), 403, "permission_denied"),
        (Unauthenticated("Log in."), 401, "unauthenticated"),
        (ValidationError("Bad.", {"email": "Enter an e-mail address."}), 422, "validation_error"),
        (Conflict("Taken.", {"email": "In use."}), 409, "conflict"),
        (LimitExceeded("Plan full."), 402, "limit_exceeded"),
        (RateLimited("Try again in 5 minutes."), 429, "rate_limited"),
        (ServiceUnavailable("identity did not answer"), 503, "service_unavailable"),
    ],
)
def test_domain_errors_map_to_one_status_and_body(raising_app, exc, status, code):
    raising_app.errors["exc"] = exc
    response = raising_app.test_client().get("/api/v1/_raise")
    assert response.status_code == status
    assert response.get_json() == {
        "error": {"code": code, "message": exc.message, "fields": exc.fields}
    }


def test_unexpected_error_is_a_500_json_body_without_details(raising_app):
    raising_app.errors["exc"] = RuntimeError("secret internals")
    response = raising_app.test_client().get("/api/v1/_raise")
    assert response.status_code == 500
    body = response.get_json()["error"]
    assert body["code"] == "internal_error"
    assert "secret" not in body["message"]


def test_unknown_api_path_is_a_json_404(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_wrong_method_is_a_json_405(client):
    response = client.get("/api/v1/auth/login")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_page_errors_render_the_error_page(raising_app):
    raising_app.errors["exc"] = NotFound("No such client.")
    response = raising_app.test_client().get("/_raise", headers=OWNER)
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert b"No such client." in response.data


def test_unauthenticated_page_goes_to_login(raising_app):
    raising_app.errors["exc"] = Unauthenticated("Session over.")
    response = raising_app.test_client().get("/_raise")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login")


def test_a_proxys_request_id_is_echoed_and_passed_to_services(app, client, rpc):
    app.wsgi_app.trusted = parse_trusted_proxies("127.0.0.1")
    response = client.get("/api/v1/me", headers={**OWNER, "X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"
    assert all(ctx["request_id"] == "req-123" for _, _, ctx, _, _ in rpc.calls)


def test_request_without_id_gets_a_fresh_one(client):
    first = client.get("/api/v1/openapi.json").headers["X-Request-ID"]
    second = client.get("/api/v1/openapi.json").headers["X-Request-ID"]
    assert first and second and first != second


def test_access_log_line_carries_the_request_id(app, client, caplog):
    app.wsgi_app.trusted = parse_trusted_proxies("127.0.0.1")
    from kit.logs import RequestIdFilter

    caplog.handler.addFilter(RequestIdFilter())
    with caplog.at_level("INFO", logger="gateway.access"):
        client.get("/login", headers={"X-Request-ID": "trace-me"})
    lines = [r for r in caplog.records if r.name == "gateway.access"]
    assert lines and lines[-1].request_id == "trace-me"
    assert "GET /login 200" in lines[-1].getMessage()


def test_access_log_leaves_out_query_strings_with_tokens(client, caplog):
    with caplog.at_level("INFO", logger="gateway.access"):
        client.get("/reset-password?token=very-secret-token")
    messages = [r.getMessage() for r in caplog.records if r.name == "gateway.access"]
    assert messages == ["GET /reset-password 200 " + messages[0].split()[-1]]
    assert not any("very-secret-token" in m for m in messages)


def test_an_unreachable_part_is_a_503_with_retry_after_and_one_warning_line(raising_app, caplog):
    raising_app.errors["exc"] = ServiceUnavailable("clients is away", {"service": "clients"})
    with caplog.at_level("WARNING", logger="gateway.errors"):
        response = raising_app.test_client().get("/api/v1/_raise")
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert response.get_json()["error"]["code"] == "service_unavailable"
    [line] = [r for r in caplog.records if r.name == "gateway.errors"]
    assert line.levelname == "WARNING" and line.exc_info is None


def test_an_unreachable_part_on_a_page_says_to_try_again_in_a_moment(raising_app):
    raising_app.errors["exc"] = ServiceUnavailable("clients is away")
    response = raising_app.test_client().get("/_raise", headers=OWNER)
    assert response.status_code == 503 and response.headers["Retry-After"]
    assert b"try again in a moment" in response.data


def test_identity_unreachable_while_authenticating_is_a_503_not_a_401(client, rpc):
    def away(token):
        raise ServiceUnavailable("The identity service did not answer in time.")

    rpc.answers[("identity", "authenticate_api_token")] = away
    response = client.get("/api/v1/me", headers=OWNER)
    assert response.status_code == 503
    assert response.get_json()["error"]["code"] == "service_unavailable"
