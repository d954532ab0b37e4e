"""Settings > Accounts in chromium: the owner sets how agency-funded usage is re-billed (a
markup typed in percent), a bad markup is refused on the page and changes nothing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in

pytestmark = pytest.mark.browser


def test_the_owner_sets_a_markup_in_percent_and_a_bad_one_is_refused(page, new_agency):
    owner = new_agency()
    log_in(page, owner)
    page.goto("/settings/accounts")
    now = page.locator('[data-test="rebilling-now"]')
    expect(now).to_have_text("off")

    page.select_option("#rebilling-mode", "markup")
    page.fill("#rebilling-markup_percent", "12.5")
    page.click('[data-test="rebilling-form"] button[type=submit]')
    expect(page.get_by_text("Usage re-billing: with a 12.5% markup.")).to_be_visible()
    expect(now).to_have_text("with a 12.5% markup")
    expect(page.locator("#rebilling-markup_percent")).to_have_value("12.5")
    setting = owner.get("/balances/rebilling", expect=200).json()
    assert setting == {"mode": "markup", "markup_basis_points": 1250}

    page.fill("#rebilling-markup_percent", "lots")
    page.click('[data-test="rebilling-form"] button[type=submit]')
    expect(page.locator('[data-test="rebilling-form"] .invalid-feedback')).to_contain_text(
        "Enter a markup from 0 to 1000"
    )
    assert owner.get("/balances/rebilling", expect=200).json() == setting

    page.select_option("#rebilling-mode", "at_cost")
    page.click('[data-test="rebilling-form"] button[type=submit]')
    expect(page.get_by_text("Usage re-billing: at cost.")).to_be_visible()
    assert owner.get("/balances/rebilling", expect=200).json()["mode"] == "at_cost"
