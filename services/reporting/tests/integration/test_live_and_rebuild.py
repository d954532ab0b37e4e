"""Reporting's figures follow billing's own, live from events and after a rebuild over RPC."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kit.testing import signed_up_owner as sign_up
from reporting.rebuild import rebuild_agency


def billing_totals(billing, owner, today) -> dict:
    """Billing's own totals per status for invoices issued today."""
    page = billing.list_invoices(owner, date_from=today, date_to=today, per_page=100)
    totals = {"open": 0, "paid": 0, "failed": 0, "void": 0}
    for invoice in page["items"]:
        totals[invoice["status"]] += invoice["total"]["amount"]
    return totals


def reporting_totals(reporting, owner, today) -> dict:
    rows = reporting.invoices_report(owner, today, today)["rows"]
    return {r["status"]: r["total"]["amount"] for r in rows}


def test_reporting_agrees_with_billing_live_and_after_a_rebuild(stack, eventually, db_url):
    owner = sign_up(stack.identity)
    client = stack.clients.create_client(owner, "Globex")
    other = stack.clients.create_client(owner, "=Initech")
    seo = stack.billing.add_service(owner, "SEO")
    ads = stack.billing.add_service(owner, "Ads")
    assert eventually(lambda: stack.billing.list_invoices(owner)["total"] == 0)
    first = eventually(
        lambda: _try(lambda: stack.billing.charge_now(owner, client["id"], seo["id"], 12000))
    )
    stack.billing.charge_now(owner, other["id"], ads["id"], 5000)
    third = stack.billing.charge_now(owner, client["id"], ads["id"], 700)
    stack.billing.mark_paid(owner, first["id"], "check")
    stack.billing.void_invoice(owner, third["id"])
    stack.billing.assign_service(
        owner, seo["id"], other["id"], "check", "recurring_in_advance", "2030-01-01", 3000
    )
    today = first["issued_on"]
    expected = billing_totals(stack.billing, owner, today)
    assert expected == {"open": 5000, "paid": 12000, "failed": 0, "void": 700}

    live = eventually(
        lambda: (t := reporting_totals(stack.reporting, owner, today)) == expected and t
    )
    assert live == expected, reporting_totals(stack.reporting, owner, today)
    board = stack.reporting.dashboard(owner, today, today)
    assert board["kpis"]["revenue"]["amount"] == 12000
    assert board["kpis"]["outstanding"]["amount"] == 5000
    assert board["kpis"]["active_clients"] == 2

    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            counts = rebuild_agency(session, uuid.UUID(owner["agency_id"]), stack.call)
        assert counts == {
            "invoices": 3,
            "refunds": 0,
            "assignments": 1,
            "clients": 2,
            "client_changes": 2,
            "usage": 0,
            "balances": 0,
        }
    finally:
        engine.dispose()
    assert reporting_totals(stack.reporting, owner, today) == expected
    rebuilt = stack.reporting.dashboard(owner, today, today)
    assert rebuilt["kpis"] == board["kpis"]
    assert rebuilt["revenue_by_service"] == board["revenue_by_service"]


def _try(fn):
    """fn()'s answer, or None while billing has not heard of the client yet."""
    try:
        return fn()
    except Exception:
        return None
