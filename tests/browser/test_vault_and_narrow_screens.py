"""The credential vault in a browser (reveal in its row with a copy button, edit, delete, the
audit naming the client), and the client's pages on a 375 px phone screen: nothing reaches past
the edge of the screen, tables become cards, the filter card folds away."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.support.api import STRONG_PASSWORD, unique_email
from tests.support.browser import PHONE, wider_than_viewport
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser

LONG = "an-uncommonly-long-unbroken-value-" * 3


def test_vault_reveal_edit_and_delete_stay_on_the_clients_page(page, new_agency):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Vaulted Co"}, expect=201).json()
    vault = f"/clients/{client['id']}/vault"
    owner.post(vault, json={"label": "Google Ads", "username": "ads@v.co", "password": "s3cret!"})
    owner.post(vault, json={"label": "Old FTP", "password": "gone"}, expect=201)
    log_in(page, owner)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])

    page.goto(f"/clients/{client['id']}?tab=vault")
    ads = page.locator('[data-test="vault-entry"]', has_text="Google Ads")
    ads.locator('[data-test="reveal"]').click()
    revealed = page.locator('[data-test="vault-entry"]', has_text="Google Ads").locator(
        '[data-test="revealed"]'
    )
    expect(revealed).to_contain_text("Password for Google Ads:")
    expect(revealed.locator('[data-test="revealed-password"]')).to_have_text("s3cret!")
    expect(page.locator('[data-test="client-name"]')).to_have_text("Vaulted Co")
    revealed.locator('[data-test="copy"]').click()
    expect(revealed.locator('[data-test="copy"]')).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == "s3cret!"

    page.locator('[data-test="vault-entry"]', has_text="Google Ads").locator(
        '[data-test="edit-entry"]'
    ).click()
    form = page.locator('[data-test="vault-form"]')
    expect(form.locator('[name="label"]')).to_have_value("Google Ads")
    form.locator('[name="label"]').fill("Google Ads (main)")
    form.locator('[data-test="save-entry"]').click()
    expect(page.get_by_text("Credential saved.")).to_be_visible()
    expect(page.locator('[data-test="vault-entry"]', has_text="Google Ads (main)")).to_have_count(1)

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator('[data-test="vault-entry"]', has_text="Old FTP").locator(
        '[data-test="delete-entry"]'
    ).click()
    expect(page.get_by_text("Credential deleted.")).to_be_visible()
    expect(page.locator('[data-test="vault-entry"]')).to_have_count(1)
    # the password stayed as it was: an empty password box keeps it
    secret = owner.post(f"{vault}/{_entry_id(owner, vault)}/reveal", expect=200).json()
    assert secret["password"] == "s3cret!"

    page.goto("/clients/vault/reveals")
    expect(page.locator('[data-test="reveal-client"]').first).to_have_text("Vaulted Co")


def _entry_id(owner, vault: str) -> str:
    entries = owner.get(vault, expect=200).json()
    return (entries["items"] if isinstance(entries, dict) else entries)[0]["id"]


def test_the_client_pages_fit_a_375_px_screen(browser, base_url, new_agency, tmp_path):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Narrow Co"}, expect=201).json()
    owner.post(
        f"/clients/{client['id']}/vault",
        json={"label": "Hosting", "url": f"https://{LONG}.example.com", "username": LONG},
        expect=201,
    )
    owner.post(
        "/contacts",
        json={
            "name": "Pat Phone",
            "email": unique_email(LONG[:20]),
            "client_id": client["id"],
            "position": "Head of everything that needs a long title",
            "phone": "+44 20 7946 0018",
            "tags": ["press", "key-account"],
        },
        expect=201,
    )
    owner.post(
        "/requests",
        json={"client_id": client["id"], "title": "A request", "description": LONG},
        expect=201,
    )
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill('[name="email"]', owner.email)
        page.fill('[name="password"]', owner.password)
        page.click('[data-test="login-submit"]')
        expect(page.locator('[data-test="dashboard-title"]')).to_be_visible()
        for path in (
            f"/clients/{client['id']}?tab=vault",
            f"/clients/{client['id']}?tab=requests",
            f"/clients/{client['id']}?tab=contacts",
            "/contacts/",
            "/clients/",
        ):
            page.goto(path)
            page.screenshot(path=tmp_path / "page.png", full_page=True)
            assert wider_than_viewport(page) == [], path
        # the filter card is folded until asked for
        expect(page.locator("#filters")).to_be_hidden()
        page.click('[data-test="show-filters"]')
        expect(page.locator("#filters")).to_be_visible()
    finally:
        context.close()


def test_the_portal_fits_a_375_px_screen(browser, base_url, new_agency, mailbox, tmp_path):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Phone Co"}, expect=201).json()
    email = unique_email("phone")
    owner.post(
        "/contacts",
        json={"name": "Pia Phone", "email": email, "client_id": client["id"], "invite": True},
        expect=201,
    )
    portal = portal_session(owner, mailbox, email)
    request_id = portal.post(
        "/portal/requests", json={"title": "Fix it", "description": LONG}, expect=201
    ).json()["id"]
    portal.post(f"/portal/requests/{request_id}/comments", json={"body": LONG}, expect=201)
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/portal/login")
        page.fill('[name="email"]', email)
        page.fill('[name="password"]', STRONG_PASSWORD)
        page.click('[data-test="portal-login"] button')
        expect(page.locator('[data-test="portal-client-name"]')).to_have_text("Phone Co")
        for path in ("/portal/", "/portal/requests/new", f"/portal/requests/{request_id}"):
            page.goto(path)
            page.screenshot(path=tmp_path / "portal.png", full_page=True)
            assert wider_than_viewport(page) == [], path
    finally:
        context.close()
