"""Usage re-billing through the running system: the agency sets a markup through the API, usage
is recorded, and the billing run as of the 1st of the next month issues the client's "Usage
<Month YYYY>" invoice, once; another agency's usage is not on it.

A run may not be dated after today, and usage is dated the day it is recorded: the test moves
the recorded usage one month back in billing's database (transfers are immutable, so its
connection skips the triggers), as the subscription tests move a trial's end."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from tests.support.api import ApiClient, assert_error, billable_client

pytestmark = pytest.mark.e2e

# The agencies of these tests keep the default time zone (UTC): "today" is UTC's.
TODAY = datetime.now(UTC).date()
FIRST = TODAY.replace(day=1)  # the 1st of the month after the usage's (moved back a month)
MONTHS = "January February March April May June July August September October November December"


def usage_title(first_of_next: date) -> str:
    month = first_of_next - timedelta(days=1)
    return f"Usage {MONTHS.split()[month.month - 1]} {month.year}"


def record_usage(owner: ApiClient, client: dict, amount: int) -> dict:
    body = {"amount": amount, "description": "Call minutes", "idempotency_key": uuid.uuid4().hex}
    return owner.post(f"/clients/{client['id']}/usage", json=body, expect=201).json()


def move_usage_back_a_month(system, client: dict) -> None:
    url = system.database_urls["billing"].replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url) as db:
        db.execute("SET LOCAL session_replication_role = replica")
        db.execute(
            "UPDATE ledger_transfers SET recorded_on = (recorded_on - interval '1 month')::date "
            "WHERE client_id = %s AND kind = 'usage'",
            (client["id"],),
        )


def usage_setup(owner: ApiClient, system, amounts: list[int]) -> dict:
    client = billable_client(owner)
    body = {"amount": 100_000, "reference": "WIRE", "idempotency_key": uuid.uuid4().hex}
    owner.post("/balances/credits", json=body, expect=201)
    for amount in amounts:
        assert record_usage(owner, client, amount)["funded_by"] == "agency"
    move_usage_back_a_month(system, client)
    return client


def test_agency_funded_usage_is_rebilled_with_the_markup_on_the_next_run(new_agency, system):
    owner, other = new_agency(), new_agency()
    assert owner.get("/balances/rebilling", expect=200).json() == {
        "mode": "off",
        "markup_basis_points": 0,
    }
    assert_error(owner.put("/balances/rebilling", json={"mode": "markup"}), 422)
    assert_error(
        owner.put("/balances/rebilling", json={"mode": "markup", "markup_basis_points": 100_001}),
        422,
    )
    setting = {"mode": "markup", "markup_basis_points": 1250}
    assert owner.put("/balances/rebilling", json=setting, expect=200).json() == setting
    assert owner.get("/balances/rebilling", expect=200).json() == setting

    client = usage_setup(owner, system, [1200, 333])
    theirs = usage_setup(other, system, [5000])
    other.put("/balances/rebilling", json={"mode": "at_cost"}, expect=200)

    run = owner.post("/billing/runs", json={"as_of": FIRST.isoformat()}, expect=200).json()
    assert run["issued"] == 1
    again = owner.post("/billing/runs", json={"as_of": FIRST.isoformat()}, expect=200).json()
    assert again["issued"] == 0
    page = owner.get("/invoices", params={"client_id": client["id"]}, expect=200).json()
    assert page["total"] == 1
    invoice = owner.get(f"/invoices/{page['items'][0]['id']}", expect=200).json()
    # 15.33 plus 12.5% = 17.24625 -> 17.25
    assert invoice["total"] == {"amount": 1725, "currency": "USD"}
    assert (invoice["payment_method"], invoice["status"]) == ("check", "open")
    [line] = invoice["lines"]
    assert (line["service_name"], line["description"]) == ("Usage", usage_title(FIRST))
    assert line["amount"]["amount"] == 1725
    assert owner.get("/invoices", expect=200).json()["total"] == 1

    # The other agency's run bills its own client, at cost; never on the first one's invoices.
    other.post("/billing/runs", json={"as_of": FIRST.isoformat()}, expect=200)
    [theirs_invoice] = other.get("/invoices", expect=200).json()["items"]
    assert theirs_invoice["client"]["id"] == theirs["id"]
    assert theirs_invoice["total"]["amount"] == 5000
    assert owner.get("/invoices", expect=200).json()["total"] == 1
