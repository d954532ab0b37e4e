"""The balances API through the running system: usage drawn once per key and never below zero,
refused (402) and paused when not covered, resumed by a top-up; balances and transfers with the
CSV export; another agency's ids, permissions and bad input."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient, assert_error, billable_client
from tests.support.clients import team_member

pytestmark = pytest.mark.e2e


def credit(owner: ApiClient, amount: int, key: str, client_id=None) -> dict:
    body = {"amount": amount, "reference": "WIRE", "idempotency_key": key, "client_id": client_id}
    return owner.post("/balances/credits", json=body, expect=201).json()


def usage(owner: ApiClient, client: dict, amount, key: str, **extra):
    body = {"amount": amount, "description": "Call minutes", "idempotency_key": key, **extra}
    return owner.post(f"/clients/{client['id']}/usage", json=body)


def test_usage_is_drawn_once_per_key_refused_when_not_covered_and_resumed_by_a_top_up(new_agency):
    owner = new_agency()
    client = billable_client(owner)
    topped = credit(owner, 3000, "c-1")
    assert (topped["method"], topped["account"], topped["balance_after"]["amount"]) == (
        "manual",
        "agency",
        3000,
    )
    first = usage(owner, client, 1200, "u-1")
    assert first.status_code == 201, first.text
    drawn = first.json()
    assert drawn["funded_by"] == "agency" and drawn["balance_after"]["amount"] == 1800
    assert usage(owner, client, 1200, "u-1").json() == drawn  # the same key: the same answer
    assert_error(usage(owner, client, 1300, "u-1"), 409, "conflict")
    refused = usage(owner, client, 5000, "u-2")
    assert_error(refused, 402, "limit_exceeded")
    assert "paused" in refused.json()["error"]["message"]
    assert owner.get(f"/clients/{client['id']}/funding").json()["usage_paused"] is True
    assert_error(usage(owner, client, 1, "u-3"), 402)
    credit(owner, 5000, "c-2")
    assert usage(owner, client, 5000, "u-2").json()["balance_after"]["amount"] == 1800

    balances = owner.get("/balances", expect=200).json()
    assert balances["agency"]["balance"]["amount"] == 1800
    total = balances["agency"]["balance"]["amount"] + sum(
        a["balance"]["amount"] for a in balances["clients"] + balances["system"]
    )
    assert total == 0
    page = owner.get("/balances/agency/transfers", expect=200).json()
    assert [(t["kind"], t["balance_after"]["amount"]) for t in page["items"]] == [
        ("usage", 1800),
        ("manual_credit", 6800),
        ("usage", 1800),
        ("manual_credit", 3000),
    ]
    listed = owner.get(f"/clients/{client['id']}/usage", expect=200).json()
    assert listed["total"] == 2
    accounts = owner.get("/accounts", expect=200).json()
    [row] = [a for a in accounts["items"] if a["client_id"] == client["id"]]
    assert row["funded_by"] == "agency" and row["usage_paused"] is False


def test_the_transfers_csv_neutralises_formula_cells(new_agency):
    owner = new_agency()
    client = billable_client(owner)
    credit(owner, 3000, "c-1")
    usage(owner, client, 100, "u-1", description='=HYPERLINK("http://x")')
    answer = owner.get("/balances/agency/transfers.csv", expect=200)
    assert answer.headers["Content-Type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("recorded_on,kind,direction,amount,balance_after")
    assert "'=HYPERLINK" in lines[2] and ",out,1.00,29.00," in lines[2]


def test_another_agencys_ids_are_not_found_and_change_nothing(new_agency):
    owner, other = new_agency(), new_agency()
    theirs = billable_client(other)
    credit(owner, 3000, "c-1")
    assert_error(usage(owner, theirs, 100, "x"), 404)
    assert_error(owner.get(f"/clients/{theirs['id']}/funding"), 404)
    assert_error(owner.get(f"/balances/{theirs['id']}/transfers"), 404)
    assert_error(owner.post(f"/clients/{theirs['id']}/funding/agency"), 404)
    body = {"amount": 100, "reference": "x", "idempotency_key": "k", "client_id": theirs["id"]}
    assert_error(owner.post("/balances/credits", json=body), 404)
    assert other.get("/balances", expect=200).json()["clients"] == []


@pytest.mark.parametrize(
    "amount",
    [0, -5, 12.5, "100", None, 10**10],
    ids=["zero", "neg", "float", "str", "null", "huge"],
)
def test_bad_usage_is_a_clear_4xx_and_changes_nothing(new_agency, amount):
    owner = new_agency()
    client = billable_client(owner)
    credit(owner, 3000, "c-1")
    answer = usage(owner, client, amount, "bad")
    assert_error(answer, 422, "validation_error")
    assert "amount" in answer.json()["error"]["fields"]
    assert_error(usage(owner, client, 100, ""), 422)
    assert owner.get("/balances").json()["agency"]["balance"]["amount"] == 3000


def test_reading_balances_takes_view_billing_and_changing_them_manage_billing(new_agency):
    owner = new_agency()
    client = billable_client(owner)
    member = team_member(owner, "Member")
    if member.get("/balances").status_code == 200:  # the Member role may read billing
        assert_error(usage(member, client, 100, "m"), 403)
    else:
        assert_error(member.get("/balances"), 403)
        assert_error(usage(member, client, 100, "m"), 403)
    assert owner.get("/balances").json()["agency"]["balance"]["amount"] == 0


def test_a_refund_over_the_customer_balance_is_a_clear_4xx_and_changes_nothing(new_agency):
    """Past the card payments (none here: a manual credit), a refund is paid back by hand; the
    card refunds through Stripe are billing's integration tests and the portal's browser test."""
    owner = new_agency()
    client = billable_client(owner)
    credit(owner, 5000, "c-1", client["id"])
    path = f"/clients/{client['id']}/balance/refund"
    over = owner.post(path, json={"idempotency_key": "r-1", "amount": 5001})
    assert_error(over, 422, "validation_error")
    assert over.json()["error"]["fields"] == {"amount": "at most 5000"}
    assert owner.get(f"/clients/{client['id']}/funding").json()["balance"]["amount"] == 5000
    assert len(owner.get(f"/balances/{client['id']}/transfers").json()["items"]) == 1

    body = {"idempotency_key": "r-2", "amount": 2000, "reference": "cheque 17"}
    refund = owner.post(path, json=body, expect=200).json()
    assert (refund["status"], refund["balance_after"]["amount"]) == ("succeeded", 3000)
    assert [(p["method"], p["amount"]["amount"]) for p in refund["parts"]] == [("manual", 2000)]
    assert owner.post(path, json=body, expect=200).json()["refund_id"] == refund["refund_id"]
    assert owner.get(f"/clients/{client['id']}/funding").json()["balance"]["amount"] == 3000
