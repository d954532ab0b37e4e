"""An hourly assignment's page in a browser: time logged, changed and deleted while not
invoiced; the assignment ended today shows the half-red dot; the client's profile lists its
services and chooses which its contacts may request; its invoices with totals."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.e2e.test_billing_api import TODAY, assign, billable_client, make_service
from tests.support.browser import PHONE, wider_than_viewport

pytestmark = pytest.mark.browser


def test_time_notes_on_an_hourly_assignment_then_end_it_today(page, new_agency):
    owner = new_agency()
    client = billable_client(owner)
    service = make_service(owner)
    hourly = assign(owner, client, service, billing_type="hourly", rate=9000)
    log_in(page, owner)

    page.goto(f"/services/assignments/{hourly['id']}")
    expect(page.locator('[data-test="assignment-terms"]')).to_contain_text("90.00 USD per hour")
    form = page.locator('[data-test="time-form"]')
    form.locator('[name="work_date"]').fill(TODAY.isoformat())
    form.locator('[name="hours"]').fill("soon")
    form.locator('[data-test="save-time"]').click()
    expect(page.locator("#hours + .invalid-feedback")).to_contain_text("Enter a duration")
    page.locator('[name="hours"]').fill("1:30")
    page.locator('[name="note"]').fill("Fixed the checkout")
    page.locator('[data-test="save-time"]').click()
    notes = page.locator('[data-test="time-note"]')
    expect(notes).to_have_count(1)
    expect(notes.first).to_contain_text("1:30")

    notes.first.locator('[data-test="edit-time"]').click()
    expect(page.locator('[name="hours"]')).to_have_value("1:30")
    page.locator('[name="hours"]').fill("2")
    page.locator('[data-test="save-time"]').click()
    expect(notes.first).to_contain_text("2:00")
    expect(notes.first).to_contain_text("Fixed the checkout")
    expect(page.locator('[data-test="activity"][data-kind="time_logged"]')).to_have_count(1)

    page.on("dialog", lambda dialog: dialog.accept())
    notes.first.locator('[data-test="delete-time"]').click()
    expect(page.locator('[data-test="time-note"]')).to_have_count(0)

    page.locator('#end [name="end_date"]').fill((TODAY - timedelta(days=1)).isoformat())
    page.locator('[data-test="end-submit"]').click()
    expect(page.locator("#end-date + .invalid-feedback")).to_be_visible()
    page.locator('#end [name="end_date"]').fill(TODAY.isoformat())
    page.locator('[data-test="end-submit"]').click()
    expect(page.locator(".alert-success")).to_contain_text("nothing is billed after that day")
    expect(page.locator('[data-test="activity"][data-kind="ended"]')).to_have_count(1)
    page.goto("/services/")
    dot = page.locator('[data-status="ending_today"] .status-dot')
    expect(dot).to_have_count(1)
    expect(dot).to_have_css("background-image", re.compile("linear-gradient"))

    # Last month's time, once invoiced, can no longer change.
    last_month = TODAY.replace(day=1) - timedelta(days=1)
    earlier = assign(
        owner,
        client,
        service,
        billing_type="hourly",
        rate=6000,
        start_date=last_month.replace(day=1).isoformat(),
    )
    owner.post(
        f"/assignments/{earlier['id']}/time-entries",
        json={"work_date": last_month.isoformat(), "minutes": 45, "note": "Audit"},
        expect=201,
    )
    owner.post("/billing/runs", json={"as_of": TODAY.isoformat()}, expect=200)
    page.goto(f"/services/assignments/{earlier['id']}")
    invoiced = page.locator('[data-test="time-note"]')
    expect(invoiced).to_have_count(1)
    expect(invoiced.locator('[data-test="invoiced"]')).to_be_visible()
    expect(invoiced.locator('[data-test="edit-time"]')).to_have_count(0)
    billed = page.locator('[data-test="activity"][data-kind="invoiced"]')
    expect(billed).to_contain_text("45.00 USD")


def test_client_profile_lists_its_services_and_chooses_those_it_may_request(page, new_agency):
    owner = new_agency()
    client = billable_client(owner)
    seo, ads = make_service(owner), make_service(owner)
    assign(owner, client, seo, rate=5000)
    log_in(page, owner)

    page.goto(f"/clients/{client['id']}")
    page.click('[data-test="tab-services"]')
    expect(page.locator('[data-test="client-assignments"]')).to_contain_text(seo["name"])
    chosen = page.locator('[name="service_ids"]:checked')
    expect(chosen).to_have_count(1)  # by default: what is assigned
    page.check(f'[name="service_ids"][value="{ads["id"]}"]')
    page.uncheck(f'[name="service_ids"][value="{seo["id"]}"]')
    page.click('[data-test="save-available"]')
    expect(page.locator(".alert-success")).to_contain_text("may request are saved")
    expect(chosen).to_have_count(1)
    expect(page.locator(f'[name="service_ids"][value="{ads["id"]}"]')).to_be_checked()

    page.click('[data-test="tab-invoices"]')
    expect(page.get_by_text("No invoices for this client yet.")).to_be_visible()
    owner.post("/billing/runs", json={"as_of": TODAY.isoformat()}, expect=200)
    page.reload()
    expect(page.locator('[data-test="client-invoices"]')).to_contain_text("50.00 USD")
    expect(page.locator('[data-test="total-open"]')).to_have_text("50.00 USD")


def test_the_billing_pages_fit_a_375_px_screen(browser, base_url, new_agency):
    owner = new_agency()
    client = billable_client(owner)
    service = make_service(owner)
    assignment = assign(owner, client, service, rate=123456, note="A note " * 20)
    owner.post("/billing/runs", json={"as_of": TODAY.isoformat()}, expect=200)
    invoice = owner.get("/invoices", expect=200).json()["items"][0]
    context = browser.new_context(base_url=base_url, viewport=PHONE)
    page = context.new_page()
    try:
        page.goto("/login")
        page.fill('[name="email"]', owner.email)
        page.fill('[name="password"]', owner.password)
        page.click('[data-test="login-submit"]')
        expect(page.locator('[data-test="dashboard-title"]')).to_be_visible()
        for path in (
            "/services/",
            f"/services/assignments/{assignment['id']}",
            "/services/catalog",
            "/services/assign",
            "/services/charge",
            "/billing/",
            f"/billing/invoices/{invoice['id']}",
            f"/clients/{client['id']}?tab=services",
            f"/clients/{client['id']}?tab=invoices",
            "/settings/payments",
        ):
            page.goto(path)
            expect(page.locator("main")).to_be_visible()
            assert wider_than_viewport(page) == [], path
    finally:
        context.close()
