"""Both funding switches of Settings > Accounts in chromium, as the seed walks them: the pencil,
"Remove from agency billing", the e-mailed secure link followed by the customer, who enters a
card in Stripe.js (localstripe's) and pays at least the starting balance; then "Add to agency
billing", confirmed, moves the customer's balance to the agency's."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.support.api import billable_client, unique_email

pytestmark = pytest.mark.browser

SECRET = "sk_test_browser_agency_9876"


def enter_card(page, number: str) -> None:
    card = page.locator('[data-test="card-element"]')
    card.locator('input[placeholder="number"]').fill(number)
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("31")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill("10001")


def test_a_client_moves_to_customer_billing_by_the_emailed_link_and_back_to_the_agency(
    page, browser, base_url, new_agency, mailbox
):
    owner = new_agency()
    keys = {"publishable_key": "pk_test_browser", "secret_key": SECRET, "webhook_secret": "w"}
    owner.put("/agency/stripe", json=keys, expect=200)
    name = f"Globex {uuid.uuid4().hex[:6]}"
    client = billable_client(owner, name)
    owner.post(
        "/balances/credits",
        json={"amount": 10000, "reference": "WIRE-1", "idempotency_key": "c-1"},
        expect=201,
    )
    log_in(page, owner)

    page.goto("/settings/accounts")
    expect(page.locator('[data-test="agency-balance"]')).to_have_text("100.00 USD")
    page.click('[data-test="add-agency-card"]')  # the agency's own card, for top-ups
    enter_card(page, "4242424242424242")
    page.click('[data-test="save-card"]')
    expect(page.get_by_text("Card saved: visa ending 4242")).to_be_visible()
    page.fill("#topup-amount", "30.00")
    page.click('[data-test="topup-form"] button[type=submit]')
    expect(page.get_by_text("Topped up: the agency balance is 130.00 USD")).to_be_visible()
    row = page.locator('[data-test="account-row"]', has_text=name)
    expect(row.locator('[data-test="funded-by"]')).to_have_text("Balance from: agency")
    row.locator('[data-test="edit-billing"]').click()

    customer = unique_email("customer")
    page.fill("#email", "not-an-email")
    page.fill("#starting_balance", "20")
    page.click('[data-test="email-client"]')
    expect(page.locator(".invalid-feedback").first).to_be_visible()  # both refused, nothing sent
    page.fill("#email", customer)
    page.fill("#starting_balance", "30.00")
    page.fill("#message", "Please fund your call tracking from now on.")
    page.click('[data-test="email-client"]')
    expect(page.get_by_text(f"Billing request sent to {customer}")).to_be_visible()
    expect(page.locator('[data-test="pending-request"]')).to_contain_text("30.00 USD")

    link = mailbox.wait_for(customer, "fund", timeout=20).first_url()
    assert "/fund?token=" in link
    buyer = browser.new_context(base_url=base_url).new_page()
    buyer.goto(link)
    expect(buyer.locator('[data-test="fund-client"]')).to_have_text(name)
    buyer.fill("#amount", "25.00")  # under the starting balance
    enter_card(buyer, "4242424242424242")
    buyer.click('[data-test="fund-pay"]')
    expect(buyer.locator('[data-test="amount-error"]')).to_contain_text("at least 30.00")
    buyer.fill("#amount", "40.00")
    enter_card(buyer, "4242424242424242")
    buyer.click('[data-test="fund-pay"]')
    expect(buyer.locator('[data-test="fund-done"]')).to_contain_text("40.00 USD")
    buyer.goto(link)  # single use
    expect(buyer.locator('[data-test="fund-problem"]')).to_be_visible()

    page.goto("/settings/accounts")
    row = page.locator('[data-test="account-row"]', has_text=name)
    expect(row.locator('[data-test="funded-by"]')).to_have_text("Balance from: customer")
    expect(row).to_contain_text("40.00 USD")
    drawn = owner.post(
        f"/clients/{client['id']}/usage",
        json={"amount": 500, "description": "=calls", "idempotency_key": "u-1"},
        expect=201,
    ).json()
    assert (drawn["funded_by"], drawn["balance_after"]["amount"]) == ("customer", 3500)

    row.locator('[data-test="edit-billing"]').click()
    questions = []
    page.on("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    page.click('[data-test="add-to-agency"]')
    assert "any available balance will be added" in questions[-1]
    expect(page.get_by_text("The client is on agency billing")).to_be_visible()
    expect(page.locator('[data-test="agency-balance"]')).to_have_text("165.00 USD")
    row = page.locator('[data-test="account-row"]', has_text=name)
    expect(row.locator('[data-test="funded-by"]')).to_have_text("Balance from: agency")

    row.locator('[data-test="client-ledger"]').click()
    rows = page.locator('[data-test="ledger-row"]')
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("funding move")
    expect(rows.nth(1)).to_contain_text("35.00 USD")
    with page.expect_download() as download:
        page.click('[data-test="ledger-csv"]')
    text = Path(download.value.path()).read_text(encoding="utf-8")
    assert text.startswith("recorded_on,kind,direction,amount,balance_after")
    assert "'=calls" in text
