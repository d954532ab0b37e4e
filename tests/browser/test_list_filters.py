"""List filters in a browser: each custom field is searched with the input its type needs,
and a value the field cannot hold is a message under the box on the same page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_clients_pages import log_in

pytestmark = pytest.mark.browser


def test_custom_field_filter_offers_the_fields_input_and_marks_a_bad_value(page, new_agency):
    owner = new_agency()
    size = owner.post("/custom-fields", json={"name": "Staff", "type": "number"}, expect=201)
    kind = owner.post(
        "/custom-fields",
        json={"name": "Industry", "type": "choice", "choices": ["Retail", "Media"]},
        expect=201,
    ).json()
    owner.post(
        "/clients", json={"name": "Shop Ltd", "custom_fields": {kind["id"]: "Retail"}}, expect=201
    )
    owner.post("/clients", json={"name": "Paper Ltd", "custom_fields": {kind["id"]: "Media"}})
    log_in(page, owner)

    page.goto("/clients/")
    page.select_option('[name="field"]', label="Industry")
    choices = page.locator(f'select[data-filter-for="{kind["id"]}"]')
    expect(choices).to_be_visible()
    choices.select_option("Retail")
    page.click('[data-test="search"]')
    table = page.locator('[data-test="clients-table"]')
    expect(table).to_contain_text("Shop Ltd")
    expect(table).not_to_contain_text("Paper Ltd")

    page.select_option('[name="field"]', label="Staff")
    expect(page.locator(f'input[data-filter-for="{size.json()["id"]}"]')).to_have_attribute(
        "type", "number"
    )

    # A link typed or kept from before names a value the field cannot hold.
    answer = page.goto(f"/clients/?field={size.json()['id']}&value=many")
    assert answer.status == 422
    expect(page.locator('[data-test="value-error"]')).to_have_text("Staff must be a number.")
    expect(page.locator('[data-test="field-filter"] .is-invalid')).to_have_attribute(
        "aria-label", "Staff"
    )
    expect(page.get_by_text("Back to the dashboard")).to_have_count(0)
