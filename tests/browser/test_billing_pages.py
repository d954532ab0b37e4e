"""The Services and Billing tabs in a browser, on the real stack: a service added and assigned
shows its status dot; Charge now issues an invoice seen in Open; marked paid it moves to Paid;
voided to Void; with Stripe keys entered in Settings > Payments and a declining card saved, a
card charge lands in Failed with the decline reason."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.e2e.test_billing_api import (
    DECLINING_CARD,
    SECRET,
    TODAY,
    billable_client,
    make_service,
    saved_card,
)

pytestmark = pytest.mark.browser


def invoice_row(page, number: int):
    return page.locator(f'[data-test="invoice-row"][data-number="{number}"]')


def charge_now(page, client: dict, service_name: str, fee: str, method: str = "check") -> int:
    """Charge now through its page; answers the invoice's number from the page it lands on."""
    page.goto("/services/charge")
    page.select_option('[name="client_id"]', client["id"])
    page.select_option('[name="service_id"]', label=service_name)
    page.fill('[name="amount"]', fee)
    page.check(f'[name="payment_method"][value="{method}"]')
    page.click('[data-test="charge-submit"]')
    title = page.locator('[data-test="invoice-title"]')
    expect(title).to_be_visible()
    return int(re.search(r"Invoice (\d+)", title.inner_text()).group(1))


def test_assign_charge_mark_paid_and_void_through_the_pages(page, new_agency):
    owner = new_agency()
    client = billable_client(owner)
    service_name = f"Website care {uuid.uuid4().hex[:6]}"
    log_in(page, owner)

    page.click("nav >> text=Services")
    page.click('[data-test="tab-catalog"]')
    page.fill('[name="name"]', service_name)
    page.fill('[name="description"]', "Updates and backups")
    page.click('[data-test="add-service"]')
    expect(page.locator('[data-test="catalog-table"]')).to_contain_text(service_name)
    # A second one renamed, then archived: it leaves the list for the Archived view.
    page.fill('[name="name"]', "Old offer")
    page.click('[data-test="add-service"]')
    old = page.locator('[data-test="catalog-row"]', has_text="Old offer")
    old.locator('[data-test="edit-service"]').click()
    page.fill('[name="name"]', "Older offer")
    page.click('[data-test="save-service"]')
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator('[data-test="catalog-row"]', has_text="Older offer").locator(
        '[data-test="archive-service"]'
    ).click()
    expect(page.locator(".alert-success")).to_contain_text("Older offer is archived")
    expect(page.locator('[data-test="catalog-table"]')).not_to_contain_text("Older offer")
    page.click('[data-test="catalog-archived"]')
    expect(page.locator('[data-test="catalog-table"]')).to_contain_text("Older offer")

    # A monthly assignment from today is active (green); one starting next week is not started.
    for start, rate in [(TODAY, "300.00"), (TODAY + timedelta(days=7), "abc")]:
        page.goto("/services/")
        page.click('[data-test="assign-service"]')
        page.select_option('[name="service_id"]', label=service_name)
        page.select_option('[name="client_id"]', client["id"])
        page.select_option('[name="billing_type"]', "hourly")
        expect(page.locator("#rate-label")).to_have_text("Hourly rate")
        page.select_option('[name="billing_type"]', "recurring_in_advance")
        expect(page.locator("#rate-label")).to_have_text("Rate per 30 days")
        page.fill('[name="start_date"]', start.isoformat())
        page.fill('[name="rate"]', rate)
        page.click('[data-test="assign-submit"]')
        if rate == "abc":  # not an amount: said under the box, nothing assigned
            expect(page.locator("#rate + .invalid-feedback")).to_have_text(
                "Enter an amount like 12.50."
            )
            page.fill('[name="rate"]', "99.90")
            page.click('[data-test="assign-submit"]')
        expect(page.locator('[data-test="assignment-title"]')).to_contain_text(service_name)

    page.click("nav >> text=Services")
    rows = page.locator('[data-test="assignment-row"]')
    expect(rows).to_have_count(2)
    active = page.locator('[data-status="active"] .status-dot')
    expect(active).to_have_count(1)
    # The colours as drawn (retried: the page's stylesheet may still be on its way).
    expect(active).to_have_css("background-color", "rgb(25, 135, 84)")  # green
    waiting = page.locator('[data-status="not_started"] .status-dot')
    expect(waiting).to_have_count(1)
    expect(waiting).to_have_css("background-color", "rgb(253, 126, 20)")  # orange
    page.select_option('[name="status"]', "not_started")
    page.click('[data-test="filter"]')
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("99.90 USD")

    paid_number = charge_now(page, client, service_name, "45.50")
    page.click("nav >> text=Billing")
    expect(invoice_row(page, paid_number)).to_contain_text("45.50 USD")
    expect(invoice_row(page, paid_number)).to_contain_text(client["name"])

    row = invoice_row(page, paid_number)
    row.locator('[data-test="mark-paid"]').click()
    row.locator('[name="method"]').select_option("bank_transfer")
    row.locator('[name="reference"]').fill("TR-2026-7")
    row.locator('[data-test="mark-paid-submit"]').click()
    expect(page.locator(".alert-success")).to_contain_text(f"Invoice {paid_number} is marked paid")
    expect(invoice_row(page, paid_number)).to_have_count(0)
    page.click('[data-test="tab-paid"]')
    expect(invoice_row(page, paid_number)).to_contain_text("TR-2026-7")

    void_number = charge_now(page, client, service_name, "12.00")
    with page.expect_download() as download:
        page.click('[data-test="download-pdf"]')
    assert download.value.suggested_filename == f"invoice-{void_number}.pdf"
    page.goto("/billing/?status=open")
    page.on("dialog", lambda dialog: dialog.accept())
    invoice_row(page, void_number).locator('[data-test="void"]').click()
    expect(page.locator(".alert-success")).to_contain_text(f"Invoice {void_number} is void")
    page.click('[data-test="tab-void"]')
    expect(invoice_row(page, void_number)).to_contain_text("12.00 USD")

    page.goto(f"/clients/{client['id']}?tab=invoices")
    expect(page.locator('[data-test="total-paid"]')).to_have_text("45.50 USD")
    expect(page.locator('[data-test="total-issued"]')).to_have_text("45.50 USD")
    # Only the refused rate answered an error.
    assert [r.split("/", 3)[-1] for r in page.failed_responses] == ["services/assign"]


def test_stripe_keys_in_settings_and_a_declined_card_lands_in_failed(page, new_agency, system):
    owner = new_agency()
    client = billable_client(owner)
    service = make_service(owner)
    log_in(page, owner)

    page.goto("/services/charge")
    expect(page.locator('[data-test="card-not-offered"]')).to_be_visible()

    page.click("nav >> text=Settings")
    page.click('[data-test="settings-payments"]')
    expect(page.locator('[data-test="stripe-not-connected"]')).to_be_visible()
    page.fill('[name="publishable_key"]', "pk_test_e2e")
    page.fill('[name="secret_key"]', SECRET)
    page.fill('[name="retry_days"]', "2, 5")
    page.click('[data-test="save-stripe"]')
    expect(page.locator('[data-test="stripe-connected"]')).to_be_visible()
    expect(page.locator('[data-test="secret-last4"]')).to_have_text(SECRET[-4:])
    assert SECRET not in page.content()

    saved_card(owner, system.stripe_url, client, DECLINING_CARD)
    number = charge_now(page, client, service["name"], "20.00", method="card")
    expect(page.locator('[data-test="invoice-title"]')).to_contain_text("Failed")
    expect(page.locator('[data-test="failure-reason"]')).to_be_visible()

    page.click("nav >> text=Billing")
    expect(page.locator('[data-test="tab-failed"]')).to_contain_text("1")
    page.click('[data-test="tab-failed"]')
    expect(invoice_row(page, number)).to_contain_text("20.00 USD")
    expect(invoice_row(page, number)).to_contain_text("Card")
