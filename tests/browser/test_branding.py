"""The agency's brand as its clients see it: the owner sets a colour and a logo in Settings >
Agency, the contact's portal shows them in chromium (the colour applied, the logo drawn), and
the e-mails the client gets carry the agency's colour."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from kit.testing import png_bytes
from tests.browser.test_clients_pages import log_in
from tests.browser.test_request_thread import portal_log_in
from tests.support.api import unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser

TEAL = "#0f766e"


def test_the_owner_brands_the_portal_and_the_contact_sees_it(
    browser, base_url, new_agency, mailbox, tmp_path
):
    owner = new_agency(agency_name="Teal Studio")
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(48, 48))

    team = browser.new_context(base_url=base_url).new_page()
    contact = browser.new_context(base_url=base_url).new_page()
    try:
        log_in(team, owner)
        team.goto("/settings/agency")
        team.fill('[name="brand_color"]', TEAL)
        team.set_input_files("#logo", str(logo))
        team.click('[data-test="save-agency"]')
        expect(team.locator('[data-test="brand-swatch"]')).to_contain_text(TEAL)
        expect(team.locator('[data-test="agency-logo"]')).to_be_visible()

        client = owner.post("/clients", json={"name": "Brand Co"}, expect=201).json()
        email = unique_email("bree")
        owner.post(
            f"/clients/{client['id']}/contacts",
            json={"name": "Bree Brand", "email": email, "invite": True},
            expect=201,
        )
        invitation = mailbox.wait_for(email, "client portal", timeout=20)
        assert TEAL in invitation.html and "Teal Studio" in invitation.html
        portal_session(owner, mailbox, email)  # accepts the invitation, sets the password

        portal_log_in(contact, email)
        expect(contact.locator('[data-test="brand-name"]')).to_have_text("Teal Studio")
        brand_logo = contact.locator('[data-test="brand-logo"]')
        expect(brand_logo).to_be_visible()
        assert brand_logo.evaluate("img => img.complete && img.naturalWidth") == 48
        # The colour is applied, not only written: the navbar's top border is the brand's.
        expect(contact.locator(".navbar")).to_have_css("border-top-color", "rgb(15, 118, 110)")
    finally:
        team.context.close()
        contact.context.close()
