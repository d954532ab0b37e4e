"""The CSV import's preview in a browser: it says how many records are new and which existing
ones the file would change (and in which fields), and lets the user leave those alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in

pytestmark = pytest.mark.browser


def test_the_preview_warns_of_updates_and_can_skip_them(page, new_agency, tmp_path):
    owner = new_agency()
    owner.post("/clients", json={"name": "Known Ltd", "description": "Ours"}, expect=201)
    csv = tmp_path / "clients.csv"
    csv.write_text("Company,Notes\nKnown Ltd,From the old CRM\nFresh Ltd,New here\n,orphan\n")
    log_in(page, owner)

    page.goto("/clients/import")
    with page.expect_download() as download:
        page.click('[data-test="import-template"]')
    assert download.value.suggested_filename == "clients-template.csv"
    page.set_input_files('[name="file"]', str(csv))
    page.click('[data-test="upload"]')

    summary = page.locator('[data-test="preview-summary"]')
    expect(summary).to_contain_text("1 new client, 1 will be updated, 1 skipped")
    expect(page.locator('[data-test="update-warning"]')).to_contain_text("Description in 1")
    expect(page.locator('[data-test="start-import"]')).to_contain_text("1 new, 1 updated")

    page.check('[data-test="skip-updates"]')
    page.click('[data-test="check-again"]')
    expect(page.locator('[data-test="update-warning"]')).to_have_count(0)
    expect(page.locator('[data-test="skip-updates"]')).to_be_checked()
    page.click('[data-test="start-import"]')
    expect(page.locator('[data-test="imported"]')).to_have_text("1")

    known = owner.get("/clients", params={"q": "Known Ltd"}, expect=200).json()["items"][0]
    assert known["description"] == "Ours"
    assert page.failed_responses == []
