"""Paying by card in a browser, with localstripe's own Stripe.js on the real stack: a client
whose card was declined follows the e-mailed link, enters a good card, and the failed invoice
is paid at once (the link then says it was used); a portal contact pays an open invoice by card
from the portal's Invoices page; the billing contact is chosen on the client's profile."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.e2e.test_billing_api import (
    DECLINING_CARD,
    GOOD_CARD,
    assign,
    billable_client,
    make_service,
    run_billing,
    saved_card,
)
from tests.e2e.test_billing_money import card_agency, client_with_contacts
from tests.support.api import STRONG_PASSWORD, unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.browser


def enter_card(page, number: str) -> None:
    """Type a card into the Stripe.js fields (localstripe draws them as plain inputs)."""
    element = page.locator("[data-card-element]")
    element.locator('input[placeholder="number"]').fill(number)
    element.locator('input[placeholder="exp_month"]').fill("12")
    element.locator('input[placeholder="exp_year"]').fill("31")
    element.locator('input[placeholder="cvc"]').fill("123")
    element.locator('input[placeholder="postal_code"]').fill("10001")
    page.click('[data-test="card-submit"]')


def test_a_declined_client_saves_a_good_card_through_the_emailed_link(
    page, new_agency, system, mailbox
):
    owner = card_agency(new_agency)
    client, (payer,) = client_with_contacts(owner, "Dana")
    saved_card(owner, system.stripe_url, client, DECLINING_CARD)
    assign(
        owner,
        client,
        make_service(owner),
        payment_method="card",
        billing_type="recurring_in_advance",
        rate=15000,
    )
    time.sleep(2)  # billing learns the billing contact from the clients service's event
    assert run_billing(owner)["charged"] == {"declined": 1}
    [invoice] = owner.get("/invoices", params={"client_id": client["id"]}).json()["items"]
    assert invoice["status"] == "failed"
    assert str(invoice["number"]) in mailbox.wait_for(owner.email, "Payment failed").subject
    to_client = mailbox.wait_for(payer["email"], "did not go through")
    link = next(u for u in to_client.text.split() if "/pay/card?token=" in u)

    page.goto(link)
    expect(page.locator('[data-test="failed-invoices"]')).to_contain_text("150.00")
    enter_card(page, GOOD_CARD)
    expect(page.locator('[data-test="card-link-done"]')).to_be_visible()
    expect(page.locator('[data-test="saved-card"]')).to_contain_text(GOOD_CARD[-4:])
    expect(page.locator('[data-test="retried-invoice"]')).to_contain_text("Paid")
    paid = owner.get(f"/invoices/{invoice['id']}", expect=200).json()
    assert (paid["status"], paid["paid_method"]) == ("paid", "card")
    assert "150.00" in mailbox.wait_for(payer["email"], "Receipt for invoice").text

    page.goto(link)  # used once: a clear page, nothing changes
    expect(page.locator('[data-test="card-link-problem"]')).to_contain_text("already used")

    log_in(page, owner)  # the team's card page shows the card the client saved
    page.goto(f"/clients/{client['id']}/card")
    expect(page.locator('[data-test="saved-card"]')).to_contain_text(GOOD_CARD[-4:])


def test_the_portal_pays_an_open_invoice_by_card(page, new_agency, mailbox):
    owner = card_agency(new_agency)
    client = billable_client(owner)
    email = unique_email("portal")
    owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Pia Portal", "email": email, "invite": True},
        expect=201,
    )
    portal_session(owner, mailbox, email)  # the invitation accepted: a password set
    service = make_service(owner)
    charge = {"client_id": client["id"], "service_id": service["id"], "amount": 4200}
    invoice = owner.post("/charges", json=charge, expect=201).json()
    assert invoice["status"] == "open"

    page.goto("/portal/login")
    page.fill('[name="email"]', email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.locator('[data-test="portal-login"] button[type="submit"]').click()
    page.click('[data-test="portal-invoices-link"]')
    page.click(f'[data-test="pay-{invoice["number"]}"]')
    enter_card(page, GOOD_CARD)
    expect(page.locator('[data-test="invoice-title"]')).to_contain_text("Paid")
    paid = owner.get(f"/invoices/{invoice['id']}", expect=200).json()
    assert (paid["status"], paid["paid_method"]) == ("paid", "card")
    page.click('[data-test="portal-invoices-link"]')
    expect(page.locator('[data-test="saved-card"]')).to_contain_text(GOOD_CARD[-4:])


def test_the_billing_contact_is_chosen_on_the_client_profile(page, new_agency):
    owner = new_agency()
    client, (first, second) = client_with_contacts(owner, "Fay", "Gus")
    log_in(page, owner)
    page.goto(f"/clients/{client['id']}")
    box = page.locator('[data-test="billing-contact"]')
    expect(box).to_contain_text(first["email"])
    expect(box).to_contain_text("The first contact, until you choose one.")
    page.select_option('[data-test="billing-contact-select"]', second["id"])
    page.click('[data-test="billing-contact-save"]')
    expect(page.locator('[data-test="billing-contact-name"]')).to_contain_text(second["email"])
    shown = owner.get(f"/clients/{client['id']}", expect=200).json()["billing_contact"]
    assert (shown["id"], shown["chosen"]) == (second["id"], True)
