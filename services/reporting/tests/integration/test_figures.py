"""The dashboard's and reports' figures for a seeded agency, against sums worked out by hand
(tests/integration/reporting_seed.py says where each comes from)."""

from __future__ import annotations

import random
import uuid

import pytest
import reporting_feed as feeding
import reporting_seed as seed
from reporting_feed import viewer

from kit.errors import NotFound, PermissionDenied, ValidationError
from kit.testing import team_context
from reporting import layouts, reports


def usd(amount):
    return {"amount": amount, "currency": "USD"}


@pytest.fixture
def seeded(session):
    ctx = viewer()
    feed = seed.seeded(ctx.agency_id)
    feeding.feed(session, feed.events)
    return ctx, feed.ids


@pytest.fixture
def agency(seeded):
    return seeded[0]


@pytest.fixture
def ids(seeded):
    return seeded[1]


def read(session, fn, ctx, *args, **kwargs):
    try:
        return fn(session, ctx, *args, **kwargs)
    finally:
        session.rollback()


def test_dashboard_figures_for_two_months_match_the_hand_computed_ones(session, agency):
    board = read(session, reports.dashboard, agency, "2026-01-01", "2026-02-28")
    assert board["kpis"] == {
        "revenue": usd(14000),  # paid 150.00 + 30.00, less 30.00 + 10.00 refunded
        "issued": usd(53000),
        "outstanding": usd(15000),  # #4
        "failed": usd(8000),  # #2
        "mrr": usd(10139),  # Acme's SEO only: Beta's ended on 10 Feb, Acme's Ads was deleted
        "active_clients": 1,  # Beta is inactive, Gamma archived
        "new_clients": 3,
        "usage": usd(1200),
        "agency_balance": usd(14500),
    }
    assert board["revenue_by_month"] == [
        {"month": "2026-01", "paid": usd(15000), "open": usd(0), "failed": usd(8000)},
        {"month": "2026-02", "paid": usd(-1000), "open": usd(15000), "failed": usd(0)},
    ]
    assert [(r["service_name"], r["revenue"]["amount"]) for r in board["revenue_by_service"]] == [
        ("SEO", 8000),
        ("Ads", 4000),
        ("Hosting", 2000),
    ]
    assert [
        (r["month"], r["new"], r["archived"], r["active"], r["inactive"])
        for r in board["client_growth"]
    ] == [("2026-01", 2, 0, 2, 0), ("2026-02", 1, 1, 1, 1)]


def test_a_payment_late_in_the_evening_counts_on_the_agencys_day(session, agency):
    january = read(session, reports.dashboard, agency, "2026-01-01", "2026-01-31")
    # 03:00 UTC on 1 Feb is 31 Jan in New York; Beta's arrears assignment still runs.
    assert january["kpis"]["revenue"] == usd(15000)
    assert january["kpis"]["mrr"] == usd(10139 + 6083)
    february = read(session, reports.dashboard, agency, "2026-02-01", "2026-02-28")
    # 04:30 UTC on 1 March is 28 Feb there: the refund is February's.
    assert february["kpis"]["revenue"] == usd(3000 - 4000)


def test_a_client_filter_keeps_to_that_client(session, agency, ids):
    board = read(session, reports.dashboard, agency, "2026-01-01", "2026-02-28", client_id=ids.ACME)
    kpis = board["kpis"]
    assert (kpis["revenue"], kpis["issued"], kpis["outstanding"], kpis["failed"]) == (
        usd(12000),
        usd(30000),
        usd(15000),
        usd(0),
    )
    assert kpis["usage"] == usd(500)
    assert kpis["active_clients"] == 1


def test_reports_give_rows_and_totals(session, agency):
    revenue = read(
        session, reports.revenue_report, agency, "2026-01-01", "2026-02-28", group="client"
    )
    by_client = {r["client_name"]: r["revenue"]["amount"] for r in revenue["rows"]}
    assert by_client == {"Acme": 12000, "=Beta": 2000, "Gamma": 0}  # Gamma's was voided
    assert revenue["totals"]["voided"] == usd(12000)
    assert revenue["totals"]["revenue"] == usd(14000)

    invoices = read(session, reports.invoices_report, agency, "2026-01-01", "2026-02-28")
    assert [(r["status"], r["count"], r["total"]["amount"]) for r in invoices["rows"]] == [
        ("open", 1, 15000),
        ("failed", 1, 8000),
        ("paid", 2, 18000),
        ("void", 1, 12000),
    ]
    aging = read(session, reports.aging_report, agency, "2026-03-01", "2026-03-20")
    assert aging["totals"]["1_30"] == usd(15000)
    assert aging["totals"]["31_60"] == usd(8000)
    assert aging["totals"]["total"] == usd(23000)

    usage = read(session, reports.usage_report, agency, "2026-02-01", "2026-02-28")
    assert usage["totals"]["agency"] == usd(500)
    assert usage["totals"]["customer"] == usd(700)

    clients = read(session, reports.clients_report, agency, "2026-01-01", "2026-02-28")
    assert clients["totals"] == {
        "new": 3,
        "archived": 1,
        "active": 1,
        "inactive": 1,
        "archived_total": 1,
    }


@pytest.mark.parametrize("order_seed", [1, 2, 3])
def test_events_twice_and_in_any_order_give_the_same_figures(session, agency, order_seed):
    expected = read(session, reports.dashboard, agency, "2026-01-01", "2026-03-31")
    other = viewer()
    events = seed.seeded(other.agency_id).events
    # The same events, with other ids for this agency: each twice, shuffled (the agency's
    # time zone first: identity says it when the agency signs up, before any invoice).
    shuffled = events[1:] * 2
    random.Random(order_seed).shuffle(shuffled)
    feeding.feed(session, [events[0], *shuffled])
    again = read(session, reports.dashboard, other, "2026-01-01", "2026-03-31")
    strip = lambda b: {k: v for k, v in b.items() if k != "revenue_by_service"}  # noqa: E731
    assert strip(again)["kpis"] == strip(expected)["kpis"]
    assert again["revenue_by_month"] == expected["revenue_by_month"]
    assert again["client_growth"] == expected["client_growth"]
    assert [r["revenue"] for r in again["revenue_by_service"]] == [
        r["revenue"] for r in expected["revenue_by_service"]
    ]


def test_a_payment_seen_before_its_invoice_counts_once_the_invoice_is_seen(session):
    ctx = viewer()
    events = seed.seeded(ctx.agency_id).events
    paid = next(e for e in events if e[0] == "invoice_paid")
    feeding.feed(session, [events[0], paid])
    board = read(session, reports.dashboard, ctx, "2026-01-01", "2026-01-31")
    assert board["kpis"]["revenue"] == usd(0)
    feeding.feed(session, [e for e in events if e[0] == "invoice_issued"][:1])
    board = read(session, reports.dashboard, ctx, "2026-01-01", "2026-01-31")
    assert board["kpis"]["revenue"] == usd(15000)
    assert board["kpis"]["outstanding"] == usd(0)


def test_another_agencys_figures_never_appear(session, agency, ids):
    stranger = viewer()
    board = read(session, reports.dashboard, stranger, "2026-01-01", "2026-02-28")
    assert board["kpis"]["revenue"] == usd(0)
    assert board["kpis"]["active_clients"] == 0
    with pytest.raises(NotFound):
        read(session, reports.dashboard, stranger, client_id=ids.ACME)
    with pytest.raises(NotFound):
        read(session, reports.client_profile, stranger, ids.ACME)


def test_reports_need_view_reports(session, agency):
    no_reports = team_context(agency.agency_id, {"view_billing"})
    for fn in (reports.dashboard, reports.revenue_report, reports.aging_report, layouts.get_layout):
        with pytest.raises(PermissionDenied):
            read(session, fn, no_reports)


def test_bad_dates_are_field_errors(session, agency):
    with pytest.raises(ValidationError) as error:
        read(session, reports.dashboard, agency, "2026-02-30")
    assert "from" in error.value.fields
    with pytest.raises(ValidationError):
        read(session, reports.dashboard, agency, "2026-03-01", "2026-02-01")


def test_client_profile_has_revenue_open_balance_and_invoices(session, agency, ids):
    profile = read(session, reports.client_profile, agency, ids.ACME)
    assert profile["revenue"] == usd(12000)
    assert profile["open_balance"] == usd(15000)
    assert [i["number"] for i in profile["invoices"]] == [4, 1]


def test_a_layout_is_kept_per_user(session, agency):
    mine = viewer(agency.agency_id, principal_id="u-1")
    theirs = viewer(agency.agency_id, principal_id="u-2")
    with session.begin():
        layouts.save_layout(
            session, mine, [{"id": "mrr", "visible": True}, {"id": "revenue", "visible": False}]
        )
    saved = read(session, layouts.get_layout, mine)["widgets"]
    assert saved[:2] == [{"id": "mrr", "visible": True}, {"id": "revenue", "visible": False}]
    assert len(saved) == 11
    assert read(session, layouts.get_layout, theirs)["widgets"][0]["id"] == "revenue"
    with pytest.raises(ValidationError), session.begin():
        layouts.save_layout(session, mine, [{"id": "nope"}])


def test_revenue_by_service_adds_whole_months_and_the_days_of_cut_ones(session, agency):
    board = read(session, reports.dashboard, agency, "2026-01-20", "2026-03-10")
    assert [(r["service_name"], r["revenue"]["amount"]) for r in board["revenue_by_service"]] == [
        ("SEO", 8000),
        ("Ads", 4000),
        ("Hosting", 2000),
    ]
    cut = read(session, reports.dashboard, agency, "2026-01-20", "2026-02-10")
    assert [(r["service_name"], r["revenue"]["amount"]) for r in cut["revenue_by_service"]] == [
        ("SEO", 8000),
        ("Ads", 4000),
        ("Hosting", 0),
    ]


def test_balances_follow_refunds_of_a_customer_balance_and_a_move_back_to_the_agency(
    session, agency, ids
):
    def event(event_type, at, **data):
        return (
            event_type,
            {
                "event_id": str(uuid.uuid4()),
                "event_type": event_type,
                "agency_id": agency.agency_id,
                "occurred_at": at,
                **data,
            },
        )

    feeding.feed(
        session,
        [
            event(
                "balance_refunded",
                "2026-02-07T10:00:00+00:00",
                transfer_id="t2",
                client_id=ids.BETA,
                amount=usd(100),
                balance_after=usd(200),
            ),
            event(
                "funding_changed",
                "2026-02-08T10:00:00+00:00",
                client_id=ids.BETA,
                funded_by="agency",
                balances=[
                    {"account": "client", "client_id": ids.BETA, "balance_after": usd(0)},
                    {"account": "agency", "client_id": None, "balance_after": usd(14700)},
                ],
            ),
            # An older movement heard late changes no balance.
            event(
                "balance_topped_up",
                "2026-02-05T10:00:00+00:00",
                transfer_id="t0",
                account="agency",
                client_id=None,
                amount=usd(1),
                method="manual",
                balance_after=usd(1),
            ),
        ],
    )
    usage = read(session, reports.usage_report, agency, "2026-02-01", "2026-02-28")
    assert usage["agency_balance"] == usd(14700)
    [beta] = [r for r in usage["rows"] if r["client_id"] == ids.BETA]
    assert beta["client_balance"] == usd(0)
