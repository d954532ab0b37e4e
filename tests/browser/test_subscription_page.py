"""Settings > Plan in a browser: after the trial the agency is read-only (a banner, a refused
change), subscribing with localstripe's Stripe.js opens it again, the invoice's PDF downloads,
a cancel is confirmed, and the account is deleted with the owner's password."""

import re

from playwright.sync_api import expect

from tests.e2e.test_subscription_api import end_trial


def log_in(page, owner) -> None:
    page.goto("/login")
    page.fill('[name="email"]', owner.email)
    page.fill('[name="password"]', owner.password)
    page.click('[data-test="login-submit"]')
    expect(page.locator('[data-test="logout"]')).to_be_visible()


def fill_card(page, number: str) -> None:
    card = page.locator('[data-test="card-element"]')
    card.locator('[placeholder="number"]').fill(number)
    card.locator('[placeholder="exp_month"]').fill("12")
    card.locator('[placeholder="exp_year"]').fill("31")
    card.locator('[placeholder="cvc"]').fill("123")
    card.locator('[placeholder="postal_code"]').fill("10001")


def test_a_read_only_agency_subscribes_cancels_and_deletes_its_account(page, new_agency, system):
    owner = new_agency()
    end_trial(system, owner)
    log_in(page, owner)
    expect(page.locator('[data-test="read-only-banner"]')).to_contain_text("read-only")

    page.goto("/clients/new")
    page.fill('[name="name"]', "Refused Client")
    page.click('[data-test="save-client"]')
    expect(page.get_by_text("Your agency is read-only").first).to_be_visible()

    page.click('[data-test="read-only-banner-plan"]')
    expect(page.locator('[data-test="read-only-info"]')).to_be_visible()
    page.select_option('[data-test="subscribe-plan"]', "starter")
    fill_card(page, "4242424242424242")
    page.click('[data-test="card-submit"]')
    expect(page.locator('[data-test="subscription-details"]')).to_contain_text("Starter")
    expect(page.locator('[data-test="read-only-banner"]')).to_have_count(0)
    expect(page.locator('[data-test="platform-invoice"]')).to_have_count(1)
    with page.expect_download() as download:
        page.click('[data-test="invoice-pdf"]')
    assert download.value.suggested_filename == "platform-invoice-1.pdf"

    page.once("dialog", lambda dialog: dialog.accept())
    page.click('[data-test="cancel-subscription"]')
    expect(page.locator('[data-test="renews-on"]')).to_contain_text("Canceled")

    page.fill('[name="password"]', "not my password")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('[data-test="delete-submit"]')
    expect(page.locator('[data-test="form-error"]')).to_be_visible()
    page.fill('[name="password"]', owner.password)
    page.once("dialog", lambda dialog: dialog.accept())
    page.click('[data-test="delete-submit"]')
    expect(page).to_have_url(re.compile(r"/login"))
    expect(page.get_by_text("have been deleted")).to_be_visible()
