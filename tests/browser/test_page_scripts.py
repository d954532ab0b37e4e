"""The pages' script runs from static/js/app.js under the Content-Security-Policy: no page
breaks the policy, a confirmation can be declined, and the user form hides the password field
when an invitation is to be sent."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in

pytestmark = pytest.mark.browser


def test_no_page_breaks_the_content_security_policy(page, new_agency):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Policy Client"}, expect=201).json()
    logged = owner.post(
        "/requests", json={"client_id": client["id"], "title": "Policy request"}, expect=201
    ).json()
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    log_in(page, owner)
    for path in (
        "/",
        "/clients/",
        f"/clients/{client['id']}",
        f"/clients/{client['id']}?tab=invoices",
        f"/clients/{client['id']}/card",
        "/contacts/new",
        "/users/",
        "/users/new",
        "/users/roles",
        "/settings/",
        "/settings/tokens",
        "/clients/import",
        "/requests/",
        f"/requests/{logged['id']}",
        "/services/",
        "/services/catalog",
        "/services/assign",
        "/services/charge",
        "/billing/",
        "/settings/payments",
    ):
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
    assert violations == []


def test_declining_a_confirmation_changes_nothing(page, new_agency):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Kept Client"}, expect=201).json()
    log_in(page, owner)
    page.goto(f"/clients/{client['id']}")
    asked = []
    page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    page.click('[data-test="archive-client"]')
    assert asked and "Kept Client" in asked[0]
    expect(page).to_have_url(re.compile(f"/clients/{client['id']}$"))
    assert owner.get(f"/clients/{client['id']}", expect=200).json()["archived"] is False


def test_sending_an_invitation_hides_the_password_field(page, new_agency):
    owner = new_agency()
    log_in(page, owner)
    page.goto("/users/new")
    password = page.locator("#password-block")
    expect(password).to_be_visible()
    page.check('[name="send_invitation"]')
    expect(password).to_be_hidden()
