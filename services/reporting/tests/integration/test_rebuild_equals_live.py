"""Every figure reporting shows after live events equals the one after its rows of the agency are
wiped and `python -m reporting.rebuild --agency ID` re-reads billing and clients over RPC, and
both equal billing's (and clients') own; another agency's figures are untouched by the rebuild.

The agency: one-time charges, a billing run over one-time, recurring (in advance and in arrears)
and hourly assignments, a refunded check payment, a voided invoice, a card declined at
localstripe (failed), usage on the agency's balance and on a customer-funded client's own (paid
through localstripe), a customer balance refund, and clients whose status changes and who are
archived and restored."""

from __future__ import annotations

import json
import time
import uuid
from datetime import date

import psycopg
import stripe
from sqlalchemy import create_engine, delete, select
from sqlalchemy.orm import Session

from kit.testing import signed_up_owner as sign_up
from reporting import rebuild
from reporting.models import Base, ClientChange
from tests.support.cards import DECLINING_CARD, GOOD_CARD, confirm_card

SECRET = "sk_test_reporting_agency_5678"


def wait(check, timeout: float = 20.0):
    """check()'s first truthy answer (None while it raises) within the timeout."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            answer = check()
        except Exception:  # billing has not heard of the client yet
            answer = None
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def everything(method, owner, **kwargs) -> list:
    """Every item of a paged list."""
    items, page = [], 1
    while True:
        answer = method(owner, page=page, per_page=100, **kwargs)
        items += answer["items"]
        if page * answer["per_page"] >= answer["total"]:
            return items
        page += 1


def funding_token(billing_db_url: str, agency_id: str) -> str:
    """The link's token, as notifications would e-mail it (from billing's outbox)."""
    url = billing_db_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as db:
        row = db.execute(
            "SELECT payload ->> 'token' FROM outbox WHERE event_type = 'funding_request_sent' "
            "AND agency_id = %s ORDER BY created_at DESC LIMIT 1",
            (agency_id,),
        ).fetchone()
    return row[0]


def seed_agency(stack) -> tuple[dict, dict, str]:
    """The agency described above: (owner, its clients by name, its billing day)."""
    billing, clients = stack.billing, stack.clients
    owner = sign_up(stack.identity, "Rebuilt")
    made = {
        "globex": clients.create_client(owner, "Globex"),
        "=initech": clients.create_client(owner, "=Initech"),
        "hooli": clients.create_client(owner, "Hooli"),
        "umbrella": clients.create_client(owner, "Umbrella", status="inactive"),
    }
    ids = {name: c["id"] for name, c in made.items()}
    seo, ads, hosting, calls = (
        billing.add_service(owner, name)["id"] for name in ("SEO", "Ads", "Hosting", "Calls")
    )
    billing.set_stripe_keys(owner, "pk_test_reporting", SECRET, "whsec_reporting")
    for client_id in ids.values():
        assert wait(lambda c=client_id: billing.get_funding(owner, c))

    paid = billing.charge_now(owner, ids["globex"], seo, 12000)
    today = paid["issued_on"]
    billing.mark_paid(owner, paid["id"], "check")
    billing.refund_invoice(owner, paid["id"], 2000, "Goodwill")
    voided = billing.charge_now(owner, ids["=initech"], ads, 700)
    billing.void_invoice(owner, voided["id"])
    setup = billing.start_card_setup(owner, ids["hooli"])
    billing.save_card(
        owner, ids["hooli"], confirm_card(stack.stripe_url, SECRET, setup, DECLINING_CARD)
    )
    failed = billing.charge_now(owner, ids["hooli"], hosting, 4500, payment_method="card")
    assert failed["status"] == "failed"
    for service, client, billing_type, rate in (
        (seo, "=initech", "one_time", 3000),
        (ads, "globex", "recurring_in_advance", 9000),
        (hosting, "=initech", "recurring_in_arrears", 6000),
        (calls, "globex", "hourly", 9000),
    ):
        billing.assign_service(owner, service, ids[client], "check", billing_type, today, rate)
    billing.run_billing(owner, today)
    second = billing.charge_now(owner, ids["umbrella"], ads, 2500)
    billing.mark_paid(owner, second["id"], "cash")

    billing.record_manual_credit(owner, 10000, "WIRE-1", "credit-1")
    billing.record_usage(owner, ids["globex"], 1200, "API calls", "use-1")
    billing.record_usage(owner, ids["hooli"], 300, "API calls", "use-2")
    billing.request_customer_funding(owner, ids["=initech"], "pay@initech.test", 5000)
    token = funding_token(stack.database_urls["billing"], owner["agency_id"])
    anonymous = {"agency_id": None, "request_id": "test"}
    card = billing.start_customer_funding_card(anonymous, token)
    card["customer_id"] = customer_of(stack, card)  # Stripe.js knows it from the secret
    billing.pay_customer_funding(
        anonymous, token, confirm_card(stack.stripe_url, SECRET, card, GOOD_CARD), 6000
    )
    billing.record_usage(owner, ids["=initech"], 700, "SMS", "use-3")
    billing.refund_customer_balance(owner, ids["=initech"], "refund-1", 1000, "cheque")

    clients.set_client_status(owner, ids["=initech"], "inactive")
    clients.set_client_status(owner, ids["=initech"], "active")
    clients.set_client_status(owner, ids["=initech"], "inactive")
    clients.set_client_status(owner, ids["umbrella"], "active")
    clients.archive_client(owner, ids["umbrella"])
    clients.restore_client(owner, ids["umbrella"])
    clients.archive_client(owner, ids["hooli"])
    return owner, ids, today


def customer_of(stack, card: dict) -> str:
    browser = stripe.StripeClient(SECRET, base_addresses={"api": stack.stripe_url})
    return browser.v1.setup_intents.retrieve(card["setup_intent_id"]).customer


def seed_other_agency(stack) -> tuple[dict, dict]:
    billing = stack.billing
    owner = sign_up(stack.identity, "Other")
    client = stack.clients.create_client(owner, "Stays")
    service = billing.add_service(owner, "SEO")["id"]
    invoice = wait(lambda: billing.charge_now(owner, client["id"], service, 5000))
    billing.mark_paid(owner, invoice["id"], "check")
    billing.record_manual_credit(owner, 2000, "WIRE-2", "credit-2")
    billing.record_usage(owner, client["id"], 100, "Calls", "use-1")
    stack.clients.set_client_status(owner, client["id"], "inactive")
    return owner, {"stays": client["id"]}


def billing_figures(stack, owner, ids: dict, today: str) -> dict:
    """Billing's (and clients') own totals: what reporting must show."""
    billing = stack.billing
    invoices = everything(billing.list_invoices, owner)
    by_status = {s: 0 for s in ("open", "paid", "failed", "void")}
    for invoice in invoices:
        assert invoice["issued_on"] == today
        by_status[invoice["status"]] += invoice["total"]["amount"]
    refunded = sum(
        r["amount"]["amount"]
        for invoice in invoices
        if invoice["status"] == "paid"
        for r in billing.list_refunds(owner, invoice["id"])
        if r["status"] == "succeeded"
    )
    usage = {"agency": 0, "customer": 0}
    for client_id in ids.values():
        for used in everything(billing.list_usage, owner, client_id=client_id):
            usage[used["funded_by"]] += used["amount"]["amount"]
    balances = billing.get_balances(owner)
    counts = {
        status: stack.clients.list_clients(owner, status=status, per_page=1)["total"]
        for status in ("active", "inactive", "archived")
    }
    return {
        "by_status": by_status,
        "paid": by_status["paid"],
        "refunded": refunded,
        "usage": usage,
        "agency_balance": balances["agency"]["balance"]["amount"],
        "client_balances": {
            c["client_id"]: c["balance"]["amount"]
            for c in balances["clients"]
            if c["balance"]["amount"]
        },
        "clients": counts,
    }


def reporting_figures(stack, owner, today: str) -> dict:
    """The same totals as reporting shows them."""
    reporting = stack.reporting
    invoices = reporting.invoices_report(owner, today, today)
    revenue = reporting.revenue_report(owner, today, today)["totals"]
    usage = reporting.usage_report(owner, today, today)
    growth = reporting.clients_report(owner, today, today)["totals"]
    return {
        "by_status": {r["status"]: r["total"]["amount"] for r in invoices["rows"]},
        "paid": revenue["paid"]["amount"],
        "refunded": revenue["refunded"]["amount"],
        "usage": {s: usage["totals"][s]["amount"] for s in ("agency", "customer")},
        "agency_balance": (usage["agency_balance"] or {}).get("amount"),
        "client_balances": {
            r["client_id"]: r["client_balance"]["amount"]
            for r in usage["rows"]
            if r["client_balance"] and r["client_balance"]["amount"]
        },
        "clients": {
            "active": growth["active"],
            "inactive": growth["inactive"],
            "archived": growth["archived_total"],
        },
    }


def canonical(value):
    """Lists in one order (a report's rows come in the database's order)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def every_figure(stack, owner, ids: dict, today: str) -> dict:
    """Every dashboard and report answer for the month so far and for today, for all clients
    and each one; each client's profile."""
    reporting = stack.reporting
    month = date.fromisoformat(today).replace(day=1).isoformat()
    answers = {}
    for start in (month, today):
        for client in (None, *ids.values()):
            scope = (owner, start, today)
            key = f"{start}:{client}"
            answers[f"dashboard:{key}"] = reporting.dashboard(*scope, client_id=client)
            for group in ("client", "service", "month"):
                answers[f"revenue-{group}:{key}"] = reporting.revenue_report(
                    *scope, client_id=client, group=group
                )
            for report in ("invoices", "aging", "usage", "clients"):
                answers[f"{report}:{key}"] = getattr(reporting, f"{report}_report")(
                    *scope, client_id=client
                )
    for client in ids.values():
        answers[f"profile:{client}"] = reporting.client_profile(owner, client)
    return canonical(answers)


def client_history(db_url: str, agency_id: str) -> list[tuple]:
    """reporting's client history of the agency, without the name-only changes."""
    engine = create_engine(db_url)
    try:
        with Session(engine) as session:
            rows = session.execute(
                select(
                    ClientChange.event_id,
                    ClientChange.client_id,
                    ClientChange.kind,
                    ClientChange.status,
                    ClientChange.occurred_at,
                )
                .where(ClientChange.agency_id == uuid.UUID(agency_id), ClientChange.kind != "named")
                .order_by(ClientChange.occurred_at, ClientChange.event_id)
            ).all()
    finally:
        engine.dispose()
    return [tuple(r) for r in rows]


def wipe(db_url: str, agency_id: str) -> int:
    """Every row of the agency in every reporting table; how many."""
    engine = create_engine(db_url)
    gone = 0
    try:
        with Session(engine) as session, session.begin():
            for table in Base.metadata.sorted_tables:
                if "agency_id" in table.c:
                    gone += session.execute(
                        delete(table).where(table.c.agency_id == uuid.UUID(agency_id))
                    ).rowcount
    finally:
        engine.dispose()
    return gone


def test_a_rebuild_gives_every_figure_the_live_events_gave_and_billings_own(
    stack, db_url, monkeypatch, capsys
):
    owner, ids, today = seed_agency(stack)
    other, other_ids = seed_other_agency(stack)
    expected = billing_figures(stack, owner, ids, today)
    assert expected["by_status"] == {"open": 12000, "paid": 14500, "failed": 4500, "void": 700}
    assert expected["refunded"] == 2000
    assert expected["usage"] == {"agency": 1500, "customer": 700}
    assert expected["agency_balance"] == 8500
    assert expected["client_balances"] == {ids["=initech"]: 4300}
    assert expected["clients"] == {"active": 2, "inactive": 1, "archived": 1}

    live_view = wait(lambda: (f := reporting_figures(stack, owner, today)) == expected and f)
    assert live_view == expected, reporting_figures(stack, owner, today)
    other_expected = billing_figures(stack, other, other_ids, today)
    assert wait(lambda: reporting_figures(stack, other, today) == other_expected)
    live = every_figure(stack, owner, ids, today)
    other_live = every_figure(stack, other, other_ids, today)
    live_history = client_history(db_url, owner["agency_id"])
    assert [
        (kind, status) for _, c, kind, status, _ in live_history if str(c) == ids["=initech"]
    ] == [
        ("created", "active"),
        ("status", "inactive"),
        ("status", "active"),
        ("status", "inactive"),
    ]

    assert wipe(db_url, owner["agency_id"]) > 0
    emptied = stack.reporting.dashboard(owner, today, today)["kpis"]
    assert (emptied["revenue"]["amount"], emptied["active_clients"]) == (0, 0)

    monkeypatch.setenv("AMQP_URI", stack.config["AMQP_URI"])
    monkeypatch.setenv("REPORTING_DATABASE_URL", db_url)
    rebuild.main(["--agency", owner["agency_id"]])
    printed = capsys.readouterr().out
    assert f"agency {owner['agency_id']}:" in printed and "'refunds': 1" in printed

    assert every_figure(stack, owner, ids, today) == live
    assert reporting_figures(stack, owner, today) == expected
    assert client_history(db_url, owner["agency_id"]) == live_history
    assert every_figure(stack, other, other_ids, today) == other_live
