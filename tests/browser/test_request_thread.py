"""A request as a conversation in two browsers: the contact comments with a file in the portal,
the team sees it unread in the inbox, answers with an internal note and a reply, and the contact
sees the reply (and its e-mail) but never the note."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from kit.testing import png_bytes
from tests.browser.test_clients_pages import log_in
from tests.support.api import STRONG_PASSWORD, unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser


def portal_log_in(page, email: str) -> None:
    page.goto("/portal/login")
    page.fill('[name="email"]', email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.click('[data-test="portal-login"] button')
    expect(page.locator('[data-test="portal-client-name"]')).to_be_visible()


def test_contact_comments_with_a_file_team_replies_and_notes_contact_sees_only_the_reply(
    browser, base_url, new_agency, mailbox, tmp_path
):
    owner = new_agency()
    client = owner.post("/clients", json={"name": "Thread Co"}, expect=201).json()
    email = unique_email("tia")
    tia = owner.post(
        "/contacts",
        json={"name": "Tia Thread", "email": email, "client_id": client["id"], "invite": True},
        expect=201,
    ).json()
    portal_session(owner, mailbox, email)
    mockup = tmp_path / "mockup.png"
    mockup.write_bytes(png_bytes(12, 12))
    brief = tmp_path / "brief.txt"
    brief.write_text("Spring colours, big type")

    contact = browser.new_context(base_url=base_url).new_page()
    team = browser.new_context(base_url=base_url).new_page()
    try:
        # the contact comments with a file in the portal
        portal_log_in(contact, email)
        contact.click('[data-test="new-request"]')
        contact.fill('[name="title"]', "Banner for spring")
        contact.set_input_files("#attachments", str(brief))
        contact.click('[data-test="request-form"] button')
        expect(contact.get_by_text("Your request was sent to the agency.")).to_be_visible()
        contact.click('[data-test="portal-request-link"]')
        request_id = contact.url.rstrip("/").rsplit("/", 1)[-1]
        expect(contact.locator('[data-test="attachment"]')).to_contain_text("brief.txt")
        expect(contact.locator('[data-test="thread-empty"]')).to_be_visible()
        contact.fill("#body", "Here is a first sketch")
        contact.set_input_files("#attachments", str(mockup))
        contact.click('[data-test="send-comment"]')
        expect(contact.get_by_text("Sent to the agency.")).to_be_visible()
        expect(contact.locator('[data-test="thread-comment"]')).to_contain_text("first sketch")
        expect(
            contact.locator('[data-test="thread-comment"] [data-test="attachment"]')
        ).to_contain_text("mockup.png")

        # the team sees it unread, counted in the navigation
        log_in(team, owner)
        expect(team.locator('[data-test="nav-unread"]')).to_have_text("1")
        team.click("nav >> text=Requests")
        row = team.locator('[data-test="inbox-row"]', has_text="Banner for spring")
        expect(row.locator('[data-test="unread-marker"]')).to_be_visible()
        team.check("#unread")
        team.click('[data-test="apply-filters"]')
        expect(team.locator('[data-test="inbox-row"]')).to_have_count(1)
        row.locator('[data-test="inbox-title"]').click()
        expect(team.locator('[data-test="request-title"]')).to_have_text("Banner for spring")
        expect(team.locator('[data-test="thread-comment"]')).to_contain_text("first sketch")
        with team.expect_download() as download_info:
            team.click('[data-test="thread-comment"] [data-test="attachment"]')
        assert download_info.value.suggested_filename == "mockup.png"
        assert download_info.value.path().read_bytes() == mockup.read_bytes()

        # an internal note, then a reply
        team.fill("#body", "Budget is tight, keep it simple")
        team.click('[data-test="add-note"]')
        expect(team.get_by_text("Internal note added.")).to_be_visible()
        expect(team.locator('[data-test="thread-note"]')).to_contain_text("Budget is tight")
        team.fill("#body", "Thanks, we will send a draft on Friday")
        team.click('[data-test="send-reply"]')
        expect(team.get_by_text("Reply sent to the client.")).to_be_visible()
        expect(team.locator('[data-test="nav-unread"]')).to_have_count(0)

        # the contact is e-mailed a link and sees the reply, never the note
        told = mailbox.wait_for(email, "New reply on your request: Banner for spring")
        assert re.search(rf"/portal/requests/{request_id}\b", told.text)
        contact.goto(f"/portal/requests/{request_id}")
        thread = contact.locator('[data-test="thread"]')
        expect(thread).to_contain_text("draft on Friday")
        expect(thread).not_to_contain_text("Budget is tight")
        expect(contact.locator('[data-test="internal-badge"]')).to_have_count(0)

        # the contact's page lists the contact's requests
        team.goto(f"/contacts/{tia['id']}")
        expect(team.locator('[data-test="contact-request"]')).to_have_text("Banner for spring")
    finally:
        contact.context.close()
        team.context.close()
