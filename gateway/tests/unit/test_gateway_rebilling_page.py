"""Settings > Accounts, usage re-billing: the setting shown in words, a markup typed in percent
reaching billing in basis points, bad input answered on the page; the API's body checked."""

from __future__ import annotations

import pytest

from gateway.web.balances import basis_points, rebilling_text
from kit.permissions import MANAGE_BILLING, VIEW_BILLING

MONEY = {"amount": 0, "currency": "USD"}
ACCOUNT = {"account": "agency", "kind": "agency", "client_id": None, "balance": MONEY}
OWNER = {"Authorization": "Bearer owner-token"}


@pytest.fixture
def billing(rpc, app):
    """The billing answers the page needs; the setting as billing keeps it."""
    app.config["WTF_CSRF_ENABLED"] = False
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    principal = {**owner, "permissions": [*owner["permissions"], MANAGE_BILLING, VIEW_BILLING]}
    rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
    setting = {"mode": "markup", "markup_basis_points": 1250}

    def set_rebilling(mode, markup_basis_points=None):
        setting.update(mode=mode, markup_basis_points=markup_basis_points or 0)
        return dict(setting)

    rpc.answers.update(
        {
            ("billing", "list_accounts"): lambda: {"agency_balance": MONEY, "items": []},
            ("billing", "get_balances"): lambda: {
                "agency": ACCOUNT,
                "clients": [],
                "system": [],
                "low_threshold": MONEY,
                "auto_recharge_amount": None,
                "card": None,
            },
            ("billing", "get_usage_rebilling"): lambda: dict(setting),
            ("billing", "set_usage_rebilling"): set_rebilling,
        }
    )
    return setting


def set_calls(rpc) -> list[dict]:
    return [kwargs for _, method, _, _, kwargs in rpc.calls if method == "set_usage_rebilling"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("12.5", 1250), ("12.50 %", 1250), ("1000", 100000), ("0", 0), ("", None), ("1.005", "1.005")],
)
def test_a_percent_typed_is_read_as_basis_points(typed, expected):
    assert basis_points(typed) == expected


def test_the_setting_is_said_in_words():
    assert rebilling_text({"mode": "markup", "markup_basis_points": 1250}) == "with a 12.5% markup"
    assert rebilling_text({"mode": "markup", "markup_basis_points": 100000}) == (
        "with a 1000% markup"
    )
    assert rebilling_text({"mode": "at_cost", "markup_basis_points": 0}) == "at cost"
    assert rebilling_text({"mode": "off", "markup_basis_points": 0}) == "off"


def test_the_accounts_page_shows_the_setting_and_its_form(client, billing):
    page = client.get("/settings/accounts/", headers=OWNER)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "with a 12.5% markup" in html and 'data-test="rebilling-form"' in html
    assert 'value="12.5"' in html


def test_a_markup_typed_in_percent_reaches_billing_in_basis_points(client, billing, rpc):
    answer = client.post(
        "/settings/accounts/rebilling",
        data={"mode": "markup", "markup_percent": "7.25"},
        headers=OWNER,
    )
    assert answer.status_code == 302
    assert set_calls(rpc) == [{"mode": "markup", "markup_basis_points": 725}]
    # A percent left in the box does not go with another mode.
    client.post(
        "/settings/accounts/rebilling",
        data={"mode": "at_cost", "markup_percent": "7.25"},
        headers=OWNER,
    )
    assert set_calls(rpc)[-1] == {"mode": "at_cost", "markup_basis_points": None}


@pytest.mark.parametrize("typed", ["lots", "1000.01", "-1", "1.005"])
def test_a_bad_markup_is_answered_on_the_page_and_changes_nothing(client, billing, rpc, typed):
    answer = client.post(
        "/settings/accounts/rebilling",
        data={"mode": "markup", "markup_percent": typed},
        headers=OWNER,
    )
    assert answer.status_code == 422
    assert "Enter a markup from 0 to 1000" in answer.get_data(as_text=True)
    assert set_calls(rpc) == []


def test_the_api_takes_the_setting_and_refuses_bad_bodies(client, billing, rpc):
    answer = client.put(
        "/api/v1/balances/rebilling",
        json={"mode": "markup", "markup_basis_points": 1500},
        headers=OWNER,
    )
    assert answer.status_code == 200
    assert answer.get_json() == {"mode": "markup", "markup_basis_points": 1500}
    for body in (
        {"mode": "sometimes"},
        {"mode": "markup", "markup_basis_points": 100001},
        {"mode": "markup", "markup_basis_points": "15"},
        {"markup_basis_points": 10},
    ):
        refused = client.put("/api/v1/balances/rebilling", json=body, headers=OWNER)
        assert refused.status_code == 422, body
    assert len(set_calls(rpc)) == 1
    assert client.get("/api/v1/balances/rebilling", headers=OWNER).get_json()["mode"] == "markup"
