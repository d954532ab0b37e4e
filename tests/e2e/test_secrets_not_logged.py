"""Secrets never reach the logs: traffic that carries every kind of secret (passwords at sign-up,
login, change and reset; the signup and reset links' tokens; the session token; an API token;
the agency's Stripe secret key and webhook secret; a vault password) goes through the running
system, then everything the system logged during the run is searched for each of them. Lists
and error bodies do not show them either."""

import secrets
import time
import uuid
from urllib.parse import parse_qs, urlparse

from flask import Flask
from flask.sessions import SecureCookieSessionInterface

from tests.support.api import STRONG_PASSWORD, ApiClient, signup_token

STACK_SECRET_KEY = "e2e-secret-key"  # tests/support/stack.py gives the gateway this SECRET_KEY


def session_token_of(cookie: str) -> str:
    """The identity session token inside the gateway's signed session cookie."""
    app = Flask(__name__)
    app.secret_key = STACK_SECRET_KEY
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    return serializer.loads(cookie)["sid"]


def test_no_secret_of_any_kind_appears_in_the_systems_log(system, mailbox):
    found: dict[str, str] = {}
    api = ApiClient(system.base_url)

    # sign-up: the owner's password, then the e-mailed link's token
    email = f"secret-owner-{uuid.uuid4().hex[:8]}@example.test"
    password = f"{STRONG_PASSWORD}-{secrets.token_hex(4)}"
    found["sign-up password"] = password
    body = {"agency_name": "Secretive", "owner_name": "Sam", "email": email, "password": password}
    api.post("/auth/signup", json=body, expect=202)
    found["signup token"] = signup_token(mailbox, email)
    answer = api.post("/auth/signup/confirm", json={"token": found["signup token"]}, expect=201)
    owner = ApiClient(system.base_url, answer.json()["token"]["token"])
    found["sign-up API token"] = owner.token

    # a login (the session token in the cookie) and a wrong password
    wrong = f"wrong-{secrets.token_hex(8)}"
    found["wrong password"] = wrong
    assert api.post("/auth/login", json={"email": email, "password": wrong}).status_code == 401
    web = ApiClient(system.base_url)
    web.post("/auth/login", json={"email": email, "password": password}, expect=200)
    found["session token"] = session_token_of(web.http.cookies["agency_session"])
    web.get("/me", expect=200)

    # an API token made and used
    made = owner.post("/tokens", json={"name": "ci"}, expect=201).json()
    found["API token"] = made["token"]
    ApiClient(system.base_url, made["token"]).get("/clients", expect=200)
    assert made["token"] not in owner.get("/tokens", expect=200).text

    # the agency's Stripe keys
    stripe_secret = f"sk_test_{secrets.token_hex(12)}"
    webhook_secret = f"whsec_{secrets.token_hex(12)}"
    found["Stripe secret key"], found["Stripe webhook secret"] = stripe_secret, webhook_secret
    keys = {"publishable_key": "pk_test_x", "secret_key": stripe_secret}
    owner.put("/agency/stripe", json={**keys, "webhook_secret": webhook_secret}, expect=200)
    shown = owner.get("/agency/stripe", expect=200).text
    assert stripe_secret not in shown and webhook_secret not in shown
    # a bad Stripe key answer (an error body) does not repeat it either
    bad = owner.put("/agency/stripe", json={"publishable_key": "", "secret_key": stripe_secret})
    assert bad.status_code == 422 and stripe_secret not in bad.text

    # a vault password, stored, listed and revealed
    client = owner.post("/clients", json={"name": "Vaulted Ltd"}, expect=201).json()
    vault_password = f"vault-{secrets.token_hex(8)}"
    found["vault password"] = vault_password
    entry = owner.post(
        f"/clients/{client['id']}/vault",
        json={"label": "FTP", "username": "ftp", "password": vault_password},
        expect=201,
    ).json()
    assert vault_password not in owner.get(f"/clients/{client['id']}/vault", expect=200).text
    revealed = owner.post(f"/clients/{client['id']}/vault/{entry['id']}/reveal", expect=200)
    assert revealed.json()["password"] == vault_password

    # a password reset: the link's token (also visited as a page) and the new password
    api.post("/auth/password/forgot", json={"email": email}, expect=202)
    link = mailbox.wait_for(email, "reset your password").first_url()
    found["reset token"] = parse_qs(urlparse(link).query)["token"][0]
    ApiClient(system.base_url).http.get(link, timeout=10)
    new_password = f"{STRONG_PASSWORD}-new-{secrets.token_hex(4)}"
    found["new password"] = new_password
    reset = {"token": found["reset token"], "password": new_password}
    api.post("/auth/password/reset", json=reset, expect=200)
    again = api.post("/auth/password/reset", json=reset)  # a used token: an error body
    assert again.status_code in (404, 422) and found["reset token"] not in again.text

    time.sleep(1.0)  # the stack's reader threads write the last lines
    log = system.log.read_text(errors="replace")
    assert "POST /api/v1/auth/password/reset" in log  # the log is the one the system wrote
    leaked = [what for what, secret in found.items() if secret in log]
    assert leaked == [], f"in {system.log}: {leaked}"
