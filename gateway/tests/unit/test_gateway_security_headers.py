"""The headers browsers and caches go by: a Content-Security-Policy without inline script (and
no inline script in any template for it to break), no-store on signed-in pages and API answers,
HSTS in production only."""

from __future__ import annotations

import re
from pathlib import Path

import gateway
from gateway.app import create_app
from gateway.config import from_env

TEMPLATES = Path(gateway.__file__).parent / "templates"
OWNER = {"Authorization": "Bearer owner-token"}


def test_every_answer_has_a_content_security_policy_without_inline_script(client):
    for response in (client.get("/login"), client.get("/api/v1/openapi.json")):
        policy = response.headers["Content-Security-Policy"]
        script = next(d for d in policy.split("; ") if d.startswith("script-src"))
        assert script == "script-src 'self'"
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy


def test_no_template_has_an_inline_script_or_event_handler():
    offenders = []
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(r"\son[a-z]+\s*=", text):
            offenders.append(template.name)
    assert offenders == []


def test_signed_in_pages_and_api_answers_are_not_stored(client, rpc):
    rpc.answers[("identity", "list_api_tokens")] = lambda: []
    assert client.get("/billing/", headers=OWNER).headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/tokens", headers=OWNER).headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/openapi.json").headers["Cache-Control"] == "no-store"
    assert "no-store" not in client.get("/login").headers.get("Cache-Control", "")


def test_hsts_is_sent_in_production_only(monkeypatch, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    app = create_app(
        {"TESTING": True, **{k: v for k, v in from_env().items() if k == "HSTS_SECONDS"}}
    )
    header = app.test_client().get("/login").headers["Strict-Transport-Security"]
    assert header == "max-age=31536000; includeSubDomains"
