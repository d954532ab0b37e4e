"""Archiving a client in a browser says its contacts lose portal access; restoring it says who
lost it and invites them again from the client's page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.support.api import unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser


def test_restore_says_who_lost_portal_access_and_reinvites_them(page, new_agency, mailbox):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Comeback Co"}, expect=201).json()
    email = unique_email("back")
    contact = owner.post(
        "/contacts", json={"name": "Bea Back", "email": email, "client_id": client["id"]}
    ).json()
    owner.post(f"/contacts/{contact['id']}/invitation", json={}, expect=201)
    portal_session(owner, mailbox, email)
    never = {"name": "Never Asked", "email": unique_email("never"), "client_id": client["id"]}
    owner.post("/contacts", json=never, expect=201)
    log_in(page, owner)

    page.goto(f"/clients/{client['id']}")
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click('[data-test="archive-client"]')
    expect(page.get_by_text("can no longer sign in to the portal")).to_be_visible()
    assert "lose portal access" in questions[-1]

    page.goto(f"/clients/{client['id']}")
    expect(page.locator('[data-test="archived-badge"]')).to_be_visible()
    expect(page.get_by_text("Active", exact=True)).to_have_count(0)
    page.click('[data-test="restore-client"]')
    assert "portal access stays off" in questions[-1]
    expect(page.get_by_text("1 contact lost portal access when it was archived")).to_be_visible()
    notice = page.locator('[data-test="portal-ended"]')
    expect(notice).to_contain_text("Bea Back")
    expect(notice).not_to_contain_text("Never Asked")

    page.click('[data-test="reinvite"]')
    expect(page.get_by_text("Portal invitation sent to 1 contact.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"tab=contacts"))
    expect(page.locator('[data-test="portal-ended"]')).to_have_count(0)
    expect(
        page.locator("tr", has_text="Bea Back").locator('[data-test="portal-status"]')
    ).to_have_text("Invited")
    mailbox.wait_for(email, "client portal", count=2)  # sent after the page answered
    assert len(mailbox.find(email, "client portal")) == 2
