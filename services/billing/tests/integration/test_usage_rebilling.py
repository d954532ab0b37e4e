"""Agency-funded usage re-billed on the client's invoice, against the real database: one usage
invoice per client and month, at cost or marked up; nothing when off, for customer-funded or
refused usage, or for another agency's usage; once, however many runs, concurrent or not.

Usage is recorded for real (`ledger_draw_usages` dates it today in the agency's time zone), then
the test moves the agency's ledger a month back (`back_a_month`) so that a run as of the 1st of
this month, which may not be later than today, bills it as last month's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import eventlet
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from stripe_cards import CIPHER, GOOD_CARD, SECRET, confirm_card

from billing.catalog import assignments, services
from billing.invoicing import invoices, runs, usage_rebilling
from billing.invoicing.usage_rebilling import month_before, month_name
from billing.ledger import accounts, topups, usage
from billing.models import CatalogService, Invoice
from billing.payments import accounts as stripe_accounts
from billing.payments import cards, charging
from billing.settings import Settings
from kit import permissions
from kit.errors import LimitExceeded, PermissionDenied, ValidationError

SETTINGS = Settings(payment_terms_days=14)
TODAY = datetime.now(UTC).date()  # the agencies here keep the default time zone, UTC
FIRST = TODAY.replace(day=1)  # a run as of it bills last month
LAST_MONTH = month_before(FIRST)
TITLE = f"Usage {month_name(LAST_MONTH[0])}"


@pytest.fixture
def credit(write):
    """credit(ctx, amount, client_id=None): a manual credit into a balance, committed."""

    def run(ctx, amount, client_id=None):
        key = f"credit-{uuid.uuid4()}"
        return write(topups.record_manual_credit, ctx, amount, "BANK-1", key, client_id)

    return run


@pytest.fixture
def use(session):
    """use(ctx, client_id, amount): usage recorded as the API records it."""

    def run(ctx, client_id, amount):
        key = f"use-{uuid.uuid4()}"
        return usage.record_usage(session, ctx, client_id, amount, "Call minutes", key)

    return run


@pytest.fixture
def back_a_month(engine):
    """back_a_month(ctx): the agency's ledger moved one month back in time. Transfers are
    immutable (a trigger refuses UPDATE); the test's connection skips triggers to do it."""

    def run(ctx):
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(
                text(
                    "UPDATE ledger_transfers SET recorded_on = "
                    "(recorded_on - interval '1 month')::date WHERE agency_id = :agency"
                ),
                {"agency": ctx.agency},
            )

    return run


@pytest.fixture
def rebill(write):
    """rebill(ctx, mode, markup_basis_points=None): the agency's setting."""

    def run(ctx, mode, markup=None):
        return write(usage_rebilling.set_usage_rebilling, ctx, mode, markup)

    return run


def customer_funded(session, ctx, client_id) -> None:
    """As the customer's payment completes a funding request (tested end to end elsewhere)."""
    with session.begin():
        accounts.funding_of(session, ctx.agency, uuid.UUID(client_id)).funded_by = "customer"


def usage_invoices(session, ctx) -> dict[str, dict]:
    """The agency's usage invoices with their lines, by client name."""
    with session.begin():
        rows = session.scalars(
            select(Invoice).where(Invoice.agency_id == ctx.agency, Invoice.usage_month.is_not(None))
        ).all()
        return {
            row.client_name: invoices.invoice_with_lines(session, row) | {"month": row.usage_month}
            for row in rows
        }


def run_as_of_first(write, ctx, settings=SETTINGS) -> dict:
    return write(runs.run_billing, ctx, FIRST, settings)


def test_a_run_bills_each_clients_agency_funded_usage_of_last_month_at_cost(
    session, ctx, known_client, credit, use, back_a_month, rebill, write, outbox
):
    globex, initech = known_client(ctx, "Globex"), known_client(ctx, "Initech")
    credit(ctx, 100_000)
    use(ctx, globex, 1200)
    use(ctx, globex, 300)
    use(ctx, initech, 500)
    back_a_month(ctx)
    assert rebill(ctx, "at_cost") == {"mode": "at_cost", "markup_basis_points": 0}
    answer = run_as_of_first(write, ctx)
    assert answer["issued"] == 2 and answer["numbers"] == [1, 2]
    billed = usage_invoices(session, ctx)
    assert set(billed) == {"Globex", "Initech"}
    first, last = LAST_MONTH
    for name, amount in (("Globex", 1500), ("Initech", 500)):
        invoice = billed[name]
        assert invoice["month"] == first
        assert invoice["total"] == {"amount": amount, "currency": "USD"}
        assert (invoice["payment_method"], invoice["status"]) == ("check", "open")
        assert (invoice["issued_on"], invoice["assignment_id"]) == (FIRST.isoformat(), None)
        [line] = invoice["lines"]
        assert (line["service_name"], line["description"]) == ("Usage", TITLE)
        assert line["amount"]["amount"] == amount
        assert (line["period_start"], line["period_end"]) == (first.isoformat(), last.isoformat())
    issued = {e["client_name"]: e for e in outbox(session, "invoice_issued")}
    assert issued["Globex"]["lines"][0]["description"] == TITLE
    assert issued["Globex"]["total"]["amount"] == 1500


def test_a_markup_is_added_to_the_months_sum_rounded_half_up(
    session, ctx, known_client, credit, use, back_a_month, rebill, write
):
    globex = known_client(ctx, "Globex")
    credit(ctx, 100_000)
    for amount in (333, 333, 334):
        use(ctx, globex, amount)
    back_a_month(ctx)
    rebill(ctx, "markup", 1255)  # 12.55% of 10.00 = 1.255: 11.255 -> 11.26
    run_as_of_first(write, ctx)
    [line] = usage_invoices(session, ctx)["Globex"]["lines"]
    assert line["amount"]["amount"] == 1126


def test_with_rebilling_off_nothing_is_billed(
    session, ctx, known_client, credit, use, back_a_month, rebill, write, read
):
    globex = known_client(ctx, "Globex")
    credit(ctx, 10_000)
    use(ctx, globex, 700)
    back_a_month(ctx)
    assert read(usage_rebilling.get_usage_rebilling, ctx) == {
        "mode": "off",
        "markup_basis_points": 0,
    }
    assert run_as_of_first(write, ctx)["issued"] == 0
    rebill(ctx, "markup", 5000)
    rebill(ctx, "off")
    assert run_as_of_first(write, ctx)["issued"] == 0
    assert usage_invoices(session, ctx) == {}


def test_usage_of_the_month_still_running_waits_for_its_end(
    session, ctx, known_client, credit, use, rebill, write
):
    globex = known_client(ctx, "Globex")
    credit(ctx, 10_000)
    use(ctx, globex, 700)
    rebill(ctx, "at_cost")
    assert write(runs.run_billing, ctx, TODAY, SETTINGS)["issued"] == 0


def test_customer_funded_and_refused_usage_is_never_billed(
    session, ctx, known_client, credit, use, back_a_month, rebill, write
):
    prepaid, switched, short = (known_client(ctx, n) for n in ("Prepaid", "Switched", "Short"))
    customer_funded(session, ctx, prepaid)
    credit(ctx, 5000, prepaid)
    use(ctx, prepaid, 2000)  # from the customer's own balance: it paid for it already
    credit(ctx, 1000)
    use(ctx, switched, 400)  # from the agency's balance: billed
    customer_funded(session, ctx, switched)
    credit(ctx, 3000, switched)
    use(ctx, switched, 600)  # after the switch, from the customer's: not billed
    use(ctx, short, 500)  # the agency balance's last 600 cover it
    with pytest.raises(LimitExceeded):
        use(ctx, short, 200)  # refused: nothing drawn
    back_a_month(ctx)
    rebill(ctx, "at_cost")
    assert run_as_of_first(write, ctx)["issued"] == 2
    billed = usage_invoices(session, ctx)
    assert {name: i["total"]["amount"] for name, i in billed.items()} == {
        "Switched": 400,
        "Short": 500,
    }


def test_another_agencys_usage_is_never_on_this_agencys_invoices(
    session, ctx, make_ctx, known_client, credit, use, back_a_month, rebill, write
):
    other = make_ctx()
    mine, theirs = known_client(ctx, "Mine"), known_client(other, "Theirs")
    for agency, client, amount in ((ctx, mine, 100), (other, theirs, 900)):
        credit(agency, 10_000)
        use(agency, client, amount)
        back_a_month(agency)
        rebill(agency, "at_cost")
    assert run_as_of_first(write, ctx)["issued"] == 1
    assert {n: i["total"]["amount"] for n, i in usage_invoices(session, ctx).items()} == {
        "Mine": 100
    }
    assert usage_invoices(session, other) == {}
    assert run_as_of_first(write, other)["issued"] == 1
    assert {n: i["total"]["amount"] for n, i in usage_invoices(session, other).items()} == {
        "Theirs": 900
    }
    # Each agency's numbers are its own: both start at 1.
    assert usage_invoices(session, other)["Theirs"]["number"] == 1


def test_repeated_and_concurrent_runs_bill_a_clients_month_once(
    session, engine, ctx, known_client, credit, use, back_a_month, rebill, write
):
    clients = [known_client(ctx, f"Client {i}") for i in range(5)]
    credit(ctx, 100_000)
    for client in clients:
        use(ctx, client, 1000)
    back_a_month(ctx)
    rebill(ctx, "markup", 1000)

    def run_in_own_session(_):
        with Session(engine, expire_on_commit=False) as own, own.begin():
            return runs.run_billing(own, ctx, FIRST, SETTINGS)["issued"]

    pool = eventlet.GreenPool()
    assert sorted(pool.imap(run_in_own_session, range(4))) == [0, 0, 0, 5]
    assert run_as_of_first(write, ctx)["issued"] == 0
    assert write(runs.run_billing, ctx, TODAY, SETTINGS)["issued"] == 0
    billed = usage_invoices(session, ctx)
    assert len(billed) == 5 and {i["total"]["amount"] for i in billed.values()} == {1100}
    assert sorted(i["number"] for i in billed.values()) == [1, 2, 3, 4, 5]


def test_the_database_refuses_a_second_usage_invoice_of_a_clients_month(
    session, ctx, known_client, credit, use, back_a_month, rebill, write
):
    globex = known_client(ctx, "Globex")
    credit(ctx, 10_000)
    use(ctx, globex, 700)
    back_a_month(ctx)
    rebill(ctx, "at_cost")
    run_as_of_first(write, ctx)
    with pytest.raises(IntegrityError, match="uq_invoices_client_usage_month"), session.begin():
        [row] = session.scalars(select(Invoice).where(Invoice.agency_id == ctx.agency)).all()
        copy = {c.name: getattr(row, c.name) for c in Invoice.__table__.columns}
        session.add(Invoice(**(copy | {"id": uuid.uuid4(), "number": 2})))
        session.flush()


def test_the_daily_run_bills_last_months_usage_of_agencies_that_rebill(
    session, ctx, make_ctx, known_client, credit, use, back_a_month, rebill
):
    quiet = make_ctx()
    for agency, mode in ((ctx, "at_cost"), (quiet, "off")):
        client = known_client(agency, "Globex")
        credit(agency, 10_000)
        use(agency, client, 250)
        back_a_month(agency)
        rebill(agency, mode)
    assert runs.run_due_billing(session, SETTINGS, TODAY) == {str(ctx.agency): 1}
    assert runs.run_due_billing(session, SETTINGS, TODAY) == {}
    assert usage_invoices(session, ctx)["Globex"]["total"]["amount"] == 250


def test_the_usage_invoice_of_a_card_client_is_charged_to_its_card(
    session, ctx, known_client, credit, use, back_a_month, rebill, write, read, settings
):
    stripe_accounts.check_keys(SECRET, settings)
    write(stripe_accounts.save_keys, ctx, CIPHER, "pk_test_agency", SECRET)
    card_client, check_client = known_client(ctx, "Card"), known_client(ctx, "Check")
    setup = cards.start_card_setup(session, ctx, CIPHER, settings, card_client)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    cards.save_card(session, ctx, CIPHER, settings, card_client, setup["setup_intent_id"])
    credit(ctx, 10_000)
    use(ctx, card_client, 4000)
    use(ctx, check_client, 1000)
    back_a_month(ctx)
    rebill(ctx, "markup", 2500)
    run_as_of_first(write, ctx, settings)
    billed = usage_invoices(session, ctx)
    assert billed["Card"]["payment_method"] == "card"
    assert billed["Check"]["payment_method"] == "check"
    assert charging.charge_due_cards(session, CIPHER, settings, ctx.agency, TODAY) == {"paid": 1}
    paid = read(invoices.get_invoice, ctx, billed["Card"]["id"])
    assert (paid["status"], paid["total"]["amount"]) == ("paid", 5000)


def test_the_setting_takes_manage_billing_and_a_markup_of_0_to_1000_percent(
    ctx, make_ctx, rebill, read, write
):
    assert rebill(ctx, "markup", 100_000) == {"mode": "markup", "markup_basis_points": 100_000}
    assert read(usage_rebilling.get_usage_rebilling, ctx)["markup_basis_points"] == 100_000
    for mode, markup in (("markup", 100_001), ("markup", -5), ("sometimes", None)):
        with pytest.raises(ValidationError):
            rebill(ctx, mode, markup)
    reader = make_ctx(ctx.agency, permissions={permissions.VIEW_BILLING})
    assert read(usage_rebilling.get_usage_rebilling, reader)["mode"] == "markup"
    with pytest.raises(PermissionDenied):
        rebill(reader, "off")
    with pytest.raises(PermissionDenied):
        read(usage_rebilling.get_usage_rebilling, make_ctx(ctx.agency, permissions=set()))
    # The balance settings and the re-billing setting are one row: neither undoes the other.
    write(accounts.set_balance_settings, ctx, 5000)
    assert read(usage_rebilling.get_usage_rebilling, ctx)["mode"] == "markup"
    assert read(accounts.get_balances, ctx)["low_threshold"]["amount"] == 5000


def test_the_built_in_usage_service_is_no_part_of_the_catalog(
    session, ctx, known_client, credit, use, back_a_month, rebill, write, read
):
    globex = known_client(ctx, "Globex")
    credit(ctx, 10_000)
    use(ctx, globex, 700)
    back_a_month(ctx)
    rebill(ctx, "at_cost")
    run_as_of_first(write, ctx)
    write(services.add_service, ctx, "Usage")  # the agency's own service of that name
    with session.begin():
        built_in = str(session.scalar(select(CatalogService.id).where(CatalogService.built_in)))
    assert [s["name"] for s in read(services.list_services, ctx, None)["items"]] == ["Usage"]
    assert read(services.list_services, ctx, None)["items"][0]["id"] != built_in
    with pytest.raises(ValidationError):
        write(
            assignments.assign_service,
            ctx,
            built_in,
            globex,
            "check",
            "one_time",
            TODAY.isoformat(),
            100,
        )
