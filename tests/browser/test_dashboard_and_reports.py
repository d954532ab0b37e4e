"""The dashboard and the Reports tab in a browser: a date range and a client filter, widgets
moved and hidden and still so after a new login, a report exported as CSV."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in
from tests.e2e.test_reports_api import wait_for
from tests.support.api import billable_client

pytestmark = pytest.mark.browser

TODAY = datetime.now(UTC).date().isoformat()


def widget_order(page) -> list[str]:
    return page.eval_on_selector_all(
        "#dashboard-widgets [data-widget]", "els => els.map(e => e.dataset.widget)"
    )


def test_dashboard_filters_layout_kept_and_a_report_exported(page, new_agency):
    owner = new_agency()
    acme = billable_client(owner, f"Acme {uuid.uuid4().hex[:6]}")
    other = billable_client(owner, f"Other {uuid.uuid4().hex[:6]}")
    service = owner.post("/services", json={"name": "Design"}, expect=201).json()
    paid = owner.post(
        "/charges",
        json={"client_id": acme["id"], "service_id": service["id"], "amount": 25000},
        expect=201,
    ).json()
    owner.post(
        "/charges",
        json={"client_id": other["id"], "service_id": service["id"], "amount": 7000},
        expect=201,
    )
    owner.post(f"/invoices/{paid['id']}/mark-paid", json={"method": "check"}, expect=200)
    assert wait_for(
        lambda: (
            owner.get("/reports/dashboard", params={"from": TODAY, "to": TODAY}).json()["kpis"][
                "outstanding"
            ]["amount"]
            == 7000
        )
    )
    log_in(page, owner)

    # The period and the client, top right.
    page.goto("/")
    page.select_option('[data-test="filter-preset"]', "custom")
    page.fill('[data-test="filter-from"]', TODAY)
    page.fill('[data-test="filter-to"]', TODAY)
    page.select_option('[data-test="filter-client"]', label=other["name"])
    page.click('[data-test="filter-apply"]')
    expect(page.locator('[data-test="kpi-outstanding"]')).to_contain_text("70.00")
    expect(page.locator('[data-test="kpi-revenue"]')).to_contain_text("0.00")
    page.select_option('[data-test="filter-client"]', "")
    page.click('[data-test="filter-apply"]')
    expect(page.locator('[data-test="kpi-revenue"]')).to_contain_text("250.00")
    expect(page.locator('canvas[data-chart="revenue_by_month"]')).to_be_visible()
    assert page.failed_responses == []

    # Move MRR before Revenue by its handle, and hide "New clients".
    assert widget_order(page)[:4] == ["revenue", "outstanding", "failed", "mrr"]
    handle = page.locator('[data-widget="mrr"] .widget-handle').bounding_box()
    target = page.locator('[data-widget="revenue"]').bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    for step in range(1, 11):
        page.mouse.move(
            handle["x"] + (target["x"] + 10 - handle["x"]) * step / 10,
            handle["y"] + (target["y"] + 10 - handle["y"]) * step / 10,
        )
        page.wait_for_timeout(30)
    page.mouse.up()
    expect(page.locator("#dashboard-widgets")).to_have_attribute("data-saved", "1")
    assert widget_order(page)[0] == "mrr"
    page.click('[data-test="customize"]')
    page.uncheck("#show-new_clients")
    expect(page.locator('[data-test="widget-new_clients"]')).to_be_hidden()
    expect(page.locator("#dashboard-widgets")).to_have_attribute("data-saving", "")

    # A new login: the layout is the user's, kept by reporting.
    page.click('[data-test="logout"]')
    log_in(page, owner)
    page.goto("/")
    assert widget_order(page)[0] == "mrr"
    expect(page.locator('[data-test="widget-new_clients"]')).to_be_hidden()
    expect(page.locator('[data-test="widget-revenue"]')).to_be_visible()

    # The revenue report, sorted, exported: the file has the table's rows and totals.
    page.click("nav >> text=Reports")
    page.wait_for_url("**/reports/**")
    page.select_option('[data-test="filter-preset"]', "custom")
    page.fill('[data-test="filter-from"]', TODAY)
    page.fill('[data-test="filter-to"]', TODAY)
    page.click('[data-test="filter-apply"]')
    page.click('[data-test="sort-revenue"]')
    page.click('[data-test="sort-revenue"]')  # descending
    rows = page.locator('[data-test="report-row"]')
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text(acme["name"])
    with page.expect_download() as download:
        page.click('[data-test="export-csv"]')
    text = Path(download.value.path()).read_text(encoding="utf-8")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[0][:2] == ["Client", "Issued"]
    assert [line[0] for line in lines[1:]] == [acme["name"], other["name"], "Total"]
    assert lines[-1][1] == "320.00"
    expect(page.locator('[data-test="report-totals"]')).to_contain_text("320.00")
