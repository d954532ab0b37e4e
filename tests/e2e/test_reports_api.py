"""The reports API through the running system: figures follow billing's events, every report's
CSV has the screen's rows and totals with formula cells neutralised, `view_reports` is enforced
and another agency's client is not found."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime

import pytest

from tests.support.api import assert_error, billable_client
from tests.support.clients import team_member

pytestmark = pytest.mark.e2e

TODAY = datetime.now(UTC).date().isoformat()  # these agencies keep UTC
PERIOD = {"from": TODAY, "to": TODAY}


def wait_for(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


@pytest.fixture
def billed(new_agency):
    """An owner whose agency invoiced two clients today: one paid (150.00), one open (40.00)."""
    owner = new_agency()
    formula = billable_client(owner, f'=HYPERLINK("x") {uuid.uuid4().hex[:6]}')
    plain = billable_client(owner, f"Plain {uuid.uuid4().hex[:6]}")
    service = owner.post("/services", json={"name": "-Retainer"}, expect=201).json()
    paid = owner.post(
        "/charges",
        json={"client_id": formula["id"], "service_id": service["id"], "amount": 15000},
        expect=201,
    ).json()
    owner.post(
        "/charges",
        json={"client_id": plain["id"], "service_id": service["id"], "amount": 4000},
        expect=201,
    )
    owner.post(f"/invoices/{paid['id']}/mark-paid", json={"method": "check"}, expect=200)
    board = wait_for(
        lambda: (
            (b := owner.get("/reports/dashboard", params=PERIOD, expect=200).json())["kpis"][
                "revenue"
            ]["amount"]
            == 15000
            and b["kpis"]["outstanding"]["amount"] == 4000
            and b
        )
    )
    assert board, owner.get("/reports/dashboard", params=PERIOD).json()
    return owner, formula, plain


def rows_of(response) -> list[list[str]]:
    assert response.headers["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.text)))


def test_dashboard_follows_billing_and_filters_by_client(billed):
    owner, _, plain = billed
    board = owner.get("/reports/dashboard", params=PERIOD, expect=200).json()
    assert board["kpis"]["issued"]["amount"] == 19000
    assert board["kpis"]["new_clients"] == 2
    one = owner.get(
        "/reports/dashboard", params={**PERIOD, "client_id": plain["id"]}, expect=200
    ).json()
    assert one["kpis"]["revenue"]["amount"] == 0
    assert one["kpis"]["outstanding"]["amount"] == 4000


def test_each_csv_has_the_screens_rows_and_totals_with_formulas_neutralised(billed):
    owner, _, _ = billed
    for name in ("revenue", "invoices", "aging", "usage", "clients"):
        screen = owner.get(f"/reports/{name}", params=PERIOD, expect=200).json()
        lines = rows_of(owner.get(f"/reports/{name}.csv", params=PERIOD, expect=200))
        assert len(lines) == 1 + len(screen["rows"]) + 1, name  # header, rows, Total
        assert lines[-1][0] == "Total"
    revenue = owner.get("/reports/revenue", params={**PERIOD, "sort": "-revenue"}).json()
    lines = rows_of(owner.get("/reports/revenue.csv", params={**PERIOD, "sort": "-revenue"}))
    assert [line[0] for line in lines[1:-1]] == [
        ("'" + r["client_name"]) if r["client_name"].startswith("=") else r["client_name"]
        for r in revenue["rows"]
    ]
    assert lines[1][0].startswith("'=HYPERLINK")  # a spreadsheet shows it as text
    assert lines[-1][4] == "150.00"  # revenue total, a number
    by_service = rows_of(
        owner.get("/reports/revenue.csv", params={**PERIOD, "group": "service"}, expect=200)
    )
    assert by_service[1][0] == "'-Retainer"
    dashboard = rows_of(owner.get("/reports/dashboard.csv", params=PERIOD, expect=200))
    assert dashboard[1][:2] == ["Revenue (paid - refunded)", "150.00"]


def test_reports_need_view_reports(billed):
    owner, _, _ = billed
    owner.post("/roles", json={"name": "ClientsOnly", "permissions": ["view_clients"]}, expect=201)
    stranger = team_member(owner, "ClientsOnly")
    for path in ("/reports/dashboard", "/reports/revenue.csv", "/reports/dashboard/layout"):
        assert_error(stranger.get(path), 403)
    member = team_member(owner, "Member")
    member.get("/reports/aging", expect=200)


def test_another_agencys_client_is_not_found(billed, new_agency):
    _, formula, _ = billed
    other = new_agency()
    assert_error(other.get("/reports/dashboard", params={"client_id": formula["id"]}), 404)
    board = other.get("/reports/dashboard", params=PERIOD, expect=200).json()
    assert board["kpis"]["revenue"]["amount"] == 0
    assert_error(other.get("/reports/revenue", params={"client_id": "nope"}), 422)


def test_a_layout_is_kept_for_the_user(billed):
    owner, _, _ = billed
    widgets = [{"id": "mrr", "visible": True}, {"id": "revenue", "visible": False}]
    kept = owner.put("/reports/dashboard/layout", json={"widgets": widgets}, expect=200).json()
    assert kept["widgets"][:2] == widgets
    assert owner.get("/reports/dashboard/layout", expect=200).json()["widgets"][:2] == widgets
    assert_error(owner.put("/reports/dashboard/layout", json={"widgets": [{"id": "x"}]}), 422)
