"""Billing runs on real PostgreSQL: what is due is issued once, numbered without gaps, and
nothing else; invoices are read, marked paid, voided; charge now."""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from billing.catalog import assignments, services, time_notes
from billing.invoicing import charges, invoices, runs
from billing.models import Invoice
from billing.settings import Settings
from kit import permissions
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError

SETTINGS = Settings(payment_terms_days=14)
TODAY = date.today()


@pytest.fixture
def seo(write, ctx):
    return write(services.add_service, ctx, "SEO")["id"]


@pytest.fixture
def assign(write, ctx, seo, known_client):
    def make(billing_type, start, rate=30000, end=None, client_id=None, method="check"):
        return write(
            assignments.assign_service,
            ctx,
            seo,
            client_id or known_client(ctx),
            method,
            billing_type,
            start.isoformat(),
            rate,
            end_date=end and end.isoformat(),
        )

    return make


@pytest.fixture
def run(write, ctx):
    def go(as_of, who=ctx):
        return write(runs.run_billing, who, as_of.isoformat(), SETTINGS)

    return go


def all_invoices(read, ctx, **filters):
    return read(invoices.list_invoices, ctx, per_page=100, **filters)["items"]


def test_each_billing_type_is_issued_when_due_and_only_once(assign, run, read, ctx):
    start = TODAY - timedelta(days=65)
    advance = assign("recurring_in_advance", start, rate=30000)
    arrears = assign("recurring_in_arrears", start, rate=60000)
    once = assign("one_time", start + timedelta(days=1), rate=5000)
    answer = run(TODAY)
    # in advance: cycles starting day 0, 30, 60; in arrears: cycles ending day 29, 59; one-time
    assert answer["issued"] == 6 and answer["numbers"] == [1, 6]
    issued = all_invoices(read, ctx)
    by_assignment = {}
    for invoice in issued:
        by_assignment.setdefault(invoice["assignment_id"], []).append(invoice)
    assert len(by_assignment[advance["id"]]) == 3
    assert len(by_assignment[arrears["id"]]) == 2
    assert [i["total"]["amount"] for i in by_assignment[once["id"]]] == [5000]
    assert sorted(i["number"] for i in issued) == [1, 2, 3, 4, 5, 6]
    assert all(i["status"] == "open" and i["issued_on"] == TODAY.isoformat() for i in issued)
    assert issued[0]["due_on"] == (TODAY + timedelta(days=14)).isoformat()
    assert run(TODAY) == {"as_of": TODAY.isoformat(), "issued": 0, "numbers": None}


def test_a_run_as_of_an_earlier_day_issues_only_what_was_due_then(assign, run):
    start = TODAY - timedelta(days=40)
    assign("recurring_in_arrears", start)
    assert run(start + timedelta(days=29))["issued"] == 0
    assert run(start + timedelta(days=30))["issued"] == 1
    assert run(TODAY)["issued"] == 0


def test_billing_cannot_run_ahead_of_today(run):
    with pytest.raises(ValidationError) as error:
        run(TODAY + timedelta(days=1))
    assert "as_of" in error.value.fields


def test_an_early_end_bills_the_last_cycle_pro_rata(assign, run, write, read, ctx):
    start = TODAY - timedelta(days=35)
    made = assign("recurring_in_arrears", start, rate=30000)
    write(assignments.end_assignment, ctx, made["id"], TODAY.isoformat())
    run(TODAY)  # the first, full cycle
    run_again = write(runs.run_billing, ctx, TODAY.isoformat(), SETTINGS)
    assert run_again["issued"] == 0  # the short cycle is billed the day after the end
    totals = [i["total"]["amount"] for i in all_invoices(read, ctx)]
    assert totals == [30000]
    with pytest.raises(ValidationError):
        run(TODAY + timedelta(days=1))


def test_a_short_last_cycle_costs_rate_times_days_over_30(assign, run, read, ctx):
    start = TODAY - timedelta(days=45)
    assign("recurring_in_arrears", start, rate=30000, end=start + timedelta(days=40))
    run(TODAY)
    (short, full) = all_invoices(read, ctx)  # newest number first
    assert full["total"]["amount"] == 30000
    assert short["total"]["amount"] == 11000  # 11 of 30 days
    lines = read(invoices.get_invoice, ctx, short["id"])["lines"]
    assert lines[0]["description"] == "Pro rata: 11 of 30 days"


def test_hourly_time_becomes_the_lines_of_the_months_invoice(assign, run, write, read, ctx):
    last_month = (TODAY.replace(day=1) - timedelta(days=1)).replace(day=1)
    made = assign("hourly", last_month, rate=12000)
    first = write(time_notes.log_time, ctx, made["id"], last_month.isoformat(), 90, "Audit")
    write(time_notes.log_time, ctx, made["id"], (last_month + timedelta(days=3)).isoformat(), 1)
    write(time_notes.log_time, ctx, made["id"], TODAY.isoformat(), 30)  # this month: not yet
    assert run(TODAY)["issued"] == 1
    (invoice,) = all_invoices(read, ctx)
    detail = read(invoices.get_invoice, ctx, invoice["id"])
    assert [(line["minutes"], line["amount"]["amount"]) for line in detail["lines"]] == [
        (90, 18000),
        (1, 200),
    ]
    assert detail["total"]["amount"] == 18200
    assert detail["period_start"] == last_month.isoformat()
    with pytest.raises(Conflict):
        write(time_notes.update_time_note, ctx, first["id"], minutes=10)
    with pytest.raises(ValidationError):
        write(time_notes.log_time, ctx, made["id"], last_month.isoformat(), 15)
    kinds = [a["kind"] for a in read(assignments.list_activities, ctx, made["id"])]
    assert kinds.count("invoiced") == 1
    assert run(TODAY)["issued"] == 0


def test_the_database_refuses_a_second_invoice_for_one_period(assign, run, session):
    assign("one_time", TODAY)
    run(TODAY)
    with pytest.raises(IntegrityError, match="uq_invoices_assignment_period"), session.begin():
        session.execute(
            text(
                "INSERT INTO invoices SELECT gen_random_uuid(), number + 1, client_id, "
                "client_name, assignment_id, period_start, period_end, issued_on, due_on, "
                "payment_method, currency, total, status, note, failure_reason, paid_at, "
                "paid_method, paid_reference, voided_at, created_by, created_at, agency_id "
                "FROM invoices"
            )
        )


def test_issued_events_carry_amounts_client_and_service_lines(assign, run, session, outbox):
    made = assign("one_time", TODAY, rate=4200)
    run(TODAY)
    (event,) = outbox(session, "invoice_issued")
    assert event["assignment_id"] == made["id"] and event["number"] == 1
    assert event["total"] == {"amount": 4200, "currency": "USD"}
    assert event["client_name"] == "Globex"
    assert event["lines"][0]["service_name"] == "SEO"
    assert event["lines"][0]["amount"]["amount"] == 4200


def test_numbers_are_per_agency(assign, run, write, make_ctx, known_client, ctx):
    assign("one_time", TODAY)
    other = make_ctx()
    service = write(services.add_service, other, "Ads")["id"]
    write(
        assignments.assign_service,
        other,
        service,
        known_client(other),
        "check",
        "one_time",
        TODAY.isoformat(),
        100,
    )
    assert run(TODAY)["numbers"] == [1, 1]
    assert run(TODAY, other)["numbers"] == [1, 1]


def test_list_filters_by_status_client_and_date(assign, run, write, read, ctx, known_client):
    acme = known_client(ctx, "Acme")
    assign("one_time", TODAY, client_id=acme)
    assign("one_time", TODAY)
    run(TODAY - timedelta(days=0))
    first, second = sorted(all_invoices(read, ctx), key=lambda i: i["number"])
    write(invoices.mark_paid, ctx, first["id"], "check", "No. 1001")
    assert [i["id"] for i in all_invoices(read, ctx, status="paid")] == [first["id"]]
    assert [i["id"] for i in all_invoices(read, ctx, status="open")] == [second["id"]]
    assert [i["client"]["id"] for i in all_invoices(read, ctx, client_id=acme)] == [acme]
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    assert all_invoices(read, ctx, date_from=tomorrow) == []
    assert len(all_invoices(read, ctx, date_to=TODAY.isoformat())) == 2
    page = read(invoices.list_invoices, ctx, per_page=1, page=2)
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (2, 2, 1, 1)
    with pytest.raises(ValidationError):
        read(invoices.list_invoices, ctx, status="late")
    with pytest.raises(ValidationError):
        read(invoices.list_invoices, ctx, date_from="last week")


def test_mark_paid_and_void_follow_the_invoice_status(
    assign, run, write, session, outbox, ctx, read
):
    assign("one_time", TODAY)
    assign("one_time", TODAY)
    run(TODAY)
    paid, voided = all_invoices(read, ctx)
    answer = write(invoices.mark_paid, ctx, paid["id"], "bank_transfer", "REF-9")
    assert (answer["status"], answer["paid_method"], answer["paid_reference"]) == (
        "paid",
        "bank_transfer",
        "REF-9",
    )
    with pytest.raises(Conflict):
        write(invoices.mark_paid, ctx, paid["id"], "check")
    with pytest.raises(Conflict):
        write(invoices.void_invoice, ctx, paid["id"])
    assert write(invoices.void_invoice, ctx, voided["id"])["status"] == "void"
    with pytest.raises(Conflict):
        write(invoices.mark_paid, ctx, voided["id"], "check")
    with pytest.raises(ValidationError):
        write(invoices.mark_paid, ctx, voided["id"], "barter")
    assert [e["invoice_id"] for e in outbox(session, "invoice_paid")] == [paid["id"]]
    assert [e["invoice_id"] for e in outbox(session, "invoice_voided")] == [voided["id"]]


def test_another_agencys_invoice_is_not_found(assign, run, write, read, make_ctx, ctx):
    assign("one_time", TODAY)
    run(TODAY)
    (invoice,) = all_invoices(read, ctx)
    other = make_ctx()
    with pytest.raises(NotFound):
        read(invoices.get_invoice, other, invoice["id"])
    with pytest.raises(NotFound):
        write(invoices.mark_paid, other, invoice["id"], "check")
    with pytest.raises(NotFound):
        write(invoices.void_invoice, other, invoice["id"])
    assert run(TODAY, other)["issued"] == 0


def test_runs_and_invoices_need_billing_permissions(assign, write, read, make_ctx, ctx):
    viewer = make_ctx(ctx.agency_id, permissions=[permissions.VIEW_BILLING])
    with pytest.raises(PermissionDenied):
        write(runs.run_billing, viewer, TODAY.isoformat(), SETTINGS)
    assert read(invoices.list_invoices, viewer)["total"] == 0
    services_only = make_ctx(ctx.agency_id, permissions=[permissions.MANAGE_SERVICES])
    with pytest.raises(PermissionDenied):
        read(invoices.list_invoices, services_only)


def test_charge_now_issues_a_one_time_invoice_at_once(
    write, read, ctx, seo, known_client, session, outbox
):
    client = known_client(ctx)
    invoice = write(charges.charge_now, ctx, client, seo, 7500, SETTINGS, note="Rush job")
    assert (invoice["number"], invoice["status"], invoice["total"]["amount"]) == (1, "open", 7500)
    assert invoice["lines"][0]["service_name"] == "SEO"
    assert invoice["lines"][0]["description"] == "Rush job"
    assert outbox(session, "invoice_issued")[0]["invoice_id"] == invoice["id"]


@pytest.mark.parametrize(("amount", "field"), [("75.00", "amount"), (-5, "amount")])
def test_a_bad_charge_changes_nothing(write, ctx, seo, known_client, session, amount, field):
    with pytest.raises(ValidationError) as error:
        write(charges.charge_now, ctx, known_client(ctx), seo, amount, SETTINGS)
    assert field in error.value.fields
    with session.begin():
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0


def test_charging_an_archived_client_is_refused(write, ctx, seo, known_client):
    with pytest.raises(ValidationError) as error:
        write(charges.charge_now, ctx, known_client(ctx, archived=True), seo, 100, SETTINGS)
    assert "client_id" in error.value.fields


def test_the_daily_run_bills_every_agency_with_something_due(
    assign, write, session, ctx, make_ctx, known_client, read
):
    assign("one_time", TODAY - timedelta(days=1))
    other = make_ctx()
    service = write(services.add_service, other, "Ads")["id"]
    write(
        assignments.assign_service,
        other,
        service,
        known_client(other),
        "check",
        "recurring_in_advance",
        (TODAY - timedelta(days=31)).isoformat(),
        100,
    )
    issued = runs.run_due_billing(session, SETTINGS, TODAY)
    assert issued == {ctx.agency_id: 1, other.agency_id: 2}
    assert runs.run_due_billing(session, SETTINGS, TODAY) == {}
