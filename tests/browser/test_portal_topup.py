"""A customer-funded client's portal contact tops up the prepaid balance in chromium: the balance
and its transfers on the portal's Balance page, a payment under $25 refused, then the saved card
and a new card entered in Stripe.js (localstripe's), each credited once. A contact of an
agency-funded client has no balance page."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_balance_funding import SECRET, billable_client, enter_card
from tests.support.api import STRONG_PASSWORD, unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser


def portal_contact(owner, mailbox, client: dict) -> str:
    email = unique_email("portal")
    owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Pia Portal", "email": email, "invite": True},
        expect=201,
    )
    portal_session(owner, mailbox, email)  # the invitation accepted: a password set
    return email


def portal_log_in(page, email: str) -> None:
    page.goto("/portal/login")
    page.fill('[name="email"]', email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.locator('[data-test="portal-login"] button[type="submit"]').click()
    expect(page.locator('[data-test="portal-navbar"]')).to_be_visible()


def test_a_portal_contact_tops_up_the_prepaid_balance_by_card(
    page, browser, base_url, new_agency, mailbox
):
    owner = new_agency()
    keys = {"publishable_key": "pk_test_browser", "secret_key": SECRET, "webhook_secret": "w"}
    owner.put("/agency/stripe", json=keys, expect=200)
    client = billable_client(owner, f"Globex {uuid.uuid4().hex[:6]}")
    email = portal_contact(owner, mailbox, client)

    # The client switches to customer funding: the customer pays 30.00 through the e-mailed link.
    customer = unique_email("customer")
    owner.post(
        f"/clients/{client['id']}/funding/requests",
        json={"email": customer, "starting_balance": 3000, "message": ""},
        expect=201,
    )
    link = mailbox.wait_for(customer, "fund", timeout=20).first_url()
    buyer = browser.new_context(base_url=base_url).new_page()
    buyer.goto(link)
    buyer.fill("#amount", "30.00")
    enter_card(buyer, "4242424242424242")
    buyer.click('[data-test="fund-pay"]')
    expect(buyer.locator('[data-test="fund-done"]')).to_contain_text("30.00 USD")

    portal_log_in(page, email)
    expect(page.locator('[data-test="portal-balance-summary"]')).to_contain_text("30.00 USD")
    page.click('[data-test="portal-topup-link"]')
    expect(page.locator('[data-test="portal-balance"]')).to_have_text("30.00 USD")
    expect(page.locator('[data-test="portal-transfer"]')).to_have_count(1)

    page.fill('[data-test="topup-amount"]', "20.00")  # under the $25 minimum
    page.click('[data-test="topup-saved-card"]')
    expect(page.locator('[data-test="topup-error"]')).to_contain_text("at least 25.00")
    expect(page.locator('[data-test="portal-balance"]')).to_have_text("30.00 USD")

    page.fill('[data-test="topup-amount"]', "25.00")
    page.click('[data-test="topup-saved-card"]')
    expect(page.get_by_text("Thank you: 25.00 USD added to the balance.")).to_be_visible()
    expect(page.locator('[data-test="portal-balance"]')).to_have_text("55.00 USD")

    page.fill('[data-test="topup-amount"]', "40.00")
    enter_card(page, "4242424242424242")
    page.click('[data-test="topup-new-card"]')
    expect(page.get_by_text("Thank you: 40.00 USD added to the balance.")).to_be_visible()
    expect(page.locator('[data-test="portal-balance"]')).to_have_text("95.00 USD")
    expect(page.locator('[data-test="portal-transfer"]')).to_have_count(3)
    page.reload()  # a reload shows the page again (the POST was redirected): nothing paid twice
    expect(page.locator('[data-test="portal-balance"]')).to_have_text("95.00 USD")

    funding = owner.get(f"/clients/{client['id']}/funding", expect=200).json()
    assert (funding["funded_by"], funding["balance"]["amount"]) == ("customer", 9500)
    transfers = owner.get(f"/balances/{client['id']}/transfers", expect=200).json()["items"]
    assert [t["kind"] for t in transfers] == ["topup", "topup", "topup"]

    # A contact of an agency-funded client: no balance page, no link to it.
    other = billable_client(owner, f"Initech {uuid.uuid4().hex[:6]}")
    other_email = portal_contact(owner, mailbox, other)
    theirs = browser.new_context(base_url=base_url).new_page()
    portal_log_in(theirs, other_email)
    expect(theirs.locator('[data-test="portal-balance-summary"]')).to_have_count(0)
    expect(theirs.locator('[data-test="portal-balance-link"]')).to_have_count(0)
    assert theirs.goto("/portal/balance").status == 404
