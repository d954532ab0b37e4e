"""What reporting re-reads to rebuild its figures: every refund, every usage record and the
balances money moved through, each a page at a time, within the agency; and a move back to
agency funding says the balances it left."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from billing.catalog import services
from billing.invoicing import charges, invoices
from billing.ledger import accounts, funding, topups, usage
from billing.payments import refunds
from billing.settings import Settings
from kit.context import Context
from kit.errors import PermissionDenied

SETTINGS = Settings(payment_terms_days=14)


def usd(amount: int) -> dict:
    return {"amount": amount, "currency": "USD"}


@pytest.fixture
def billed(session, write, ctx, known_client):
    """Two clients with check invoices: Acme's paid and refunded twice, Globex's of two
    services paid and refunded once, a third open."""
    acme, globex = known_client(ctx, "Acme"), known_client(ctx, "Globex")
    seo = write(services.add_service, ctx, "SEO")
    ads = write(services.add_service, ctx, "Ads")
    first = write(charges.charge_now, ctx, acme, seo["id"], 10000, SETTINGS)
    second = write(charges.charge_now, ctx, globex, seo["id"], 3000, SETTINGS)
    write(charges.charge_now, ctx, globex, ads["id"], 500, SETTINGS)
    for invoice in (first, second):
        write(invoices.mark_paid, ctx, invoice["id"], "check")
    refunds.refund_invoice(session, ctx, None, SETTINGS, first["id"], 1000, "Goodwill")
    refunds.refund_invoice(session, ctx, None, SETTINGS, first["id"], 2500)
    refunds.refund_invoice(session, ctx, None, SETTINGS, second["id"], 3000)
    return {"acme": acme, "globex": globex, "seo": seo, "first": first, "second": second}


def test_every_succeeded_refund_is_listed_oldest_first_with_its_invoice_and_client(
    read, ctx, billed, outbox, session
):
    page = read(refunds.export_refunds, ctx)
    assert page["total"] == 3
    got = [
        (r["invoice_number"], r["client_name"], r["amount"], r["service_id"], r["method"])
        for r in page["items"]
    ]
    assert got == [
        (billed["first"]["number"], "Acme", usd(1000), billed["seo"]["id"], "manual"),
        (billed["first"]["number"], "Acme", usd(2500), billed["seo"]["id"], "manual"),
        (billed["second"]["number"], "Globex", usd(3000), billed["seo"]["id"], "manual"),
    ]
    events = outbox(session, "payment_refunded")
    assert [r["id"] for r in page["items"]] == [e["refund_id"] for e in events]
    for item, event in zip(page["items"], events, strict=True):
        # the refund's time is its event's (within the same transaction)
        gap = datetime.fromisoformat(event["occurred_at"]) - datetime.fromisoformat(
            item["refunded_at"]
        )
        assert 0 <= gap.total_seconds() < 1
    second = read(refunds.export_refunds, ctx, 2, 2)
    assert [r["id"] for r in second["items"]] == [page["items"][2]["id"]]


def test_refunds_of_another_agency_are_not_listed_and_reading_needs_view_billing(
    read, ctx, make_ctx, billed
):
    assert read(refunds.export_refunds, make_ctx())["total"] == 0
    assert read(refunds.export_refunds, Context.system(ctx.agency_id))["total"] == 3
    with pytest.raises(PermissionDenied):
        read(refunds.export_refunds, make_ctx(ctx.agency, permissions={"view_clients"}))


def credit(session, ctx, amount, key, client_id=None):
    with session.begin():
        return topups.record_manual_credit(session, ctx, amount, "WIRE", key, client_id)


def test_usage_and_balances_are_listed_as_their_events_told_them(
    session, read, ctx, make_ctx, known_client, outbox
):
    acme, globex = known_client(ctx, "Acme"), known_client(ctx, "Globex")
    idle = known_client(ctx, "Idle")
    with session.begin():
        accounts.funding_of(session, ctx.agency, uuid.UUID(globex)).funded_by = "customer"
    credit(session, ctx, 5000, "c-1")
    credit(session, ctx, 3000, "c-2", client_id=globex)
    usage.record_usage(session, ctx, acme, 1200, "API calls", "u-1")
    usage.record_usage(session, ctx, globex, 700, "SMS", "u-2")
    usage.record_usage(session, ctx, acme, 300, "API calls", "u-3")
    with session.begin():
        accounts.client_account(session, ctx.agency, uuid.UUID(idle))  # no money moved

    page = read(usage.export_usage, ctx)
    recorded = outbox(session, "usage_recorded")
    assert page["total"] == 3
    assert [
        (u["usage_id"], u["client_name"], u["funded_by"], u["amount"], u["recorded_on"])
        for u in page["items"]
    ] == [
        (e["usage_id"], e["client_name"], e["funded_by"], e["amount"], e["recorded_on"])
        for e in recorded
    ]
    assert [u["funded_by"] for u in page["items"]] == ["agency", "customer", "agency"]

    balances = read(accounts.export_balances, ctx)
    assert [(b["account"], b["balance"]) for b in balances["items"]] == [
        ("agency", usd(3500)),
        (globex, usd(2300)),
    ]
    last_agency_draw = datetime.fromisoformat(page["items"][2]["created_at"])
    assert datetime.fromisoformat(balances["items"][0]["as_of"]) == last_agency_draw

    assert read(usage.export_usage, make_ctx())["total"] == 0
    assert read(accounts.export_balances, make_ctx())["items"] == []
    with pytest.raises(PermissionDenied):
        read(usage.export_usage, make_ctx(ctx.agency, permissions={"view_clients"}))


def test_a_move_back_to_agency_funding_says_the_balances_it_left(
    session, ctx, known_client, outbox, stripe_settings
):
    globex = known_client(ctx, "Globex")
    with session.begin():
        accounts.funding_of(session, ctx.agency, uuid.UUID(globex)).funded_by = "customer"
    credit(session, ctx, 1000, "c-1")
    credit(session, ctx, 3000, "c-2", client_id=globex)
    funding.fund_by_agency(session, ctx, None, stripe_settings, globex)
    [changed] = outbox(session, "funding_changed")
    assert changed["funded_by"] == "agency"
    assert changed["balances"] == [
        {"account": "client", "client_id": globex, "balance_after": usd(0)},
        {"account": "agency", "client_id": None, "balance_after": usd(4000)},
    ]
