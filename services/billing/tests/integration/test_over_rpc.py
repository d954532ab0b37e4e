"""The billing service started in a nameko container, called over RPC as the gateway calls it:
answers, domain errors and events cross the wire."""

from datetime import date

import pytest
from sqlalchemy import inspect

from kit.errors import NotFound, ValidationError
from kit.validation import REQUIRED


def test_first_migration_creates_billing_and_kit_tables(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"services", "assignments", "time_notes", "invoices", "invoice_lines"} <= tables
    assert {"invoice_counters", "client_facts", "agency_facts"} <= tables
    assert {"outbox", "processed_events", "failed_events"} <= tables


def test_service_answers_health_over_rpc(billing):
    assert billing.health({"agency_id": None}) == {"service": "billing", "ok": True}


def test_assigning_over_rpc_publishes_service_assigned(billing, events, ctx, known_client):
    wire = ctx.to_dict()
    seo = billing.add_service(wire, "SEO")
    made = billing.assign_service(
        wire,
        seo["id"],
        known_client(ctx),
        "check",
        "recurring_in_arrears",
        date.today().isoformat(),
        2500,
    )
    assert billing.list_assignments(wire, status="active")["items"][0]["id"] == made["id"]
    event = events.wait_for("service_assigned")
    assert event["assignment_id"] == made["id"] and event["agency_id"] == ctx.agency_id


def test_domain_errors_travel_over_rpc(billing, ctx, make_ctx):
    wire = ctx.to_dict()
    with pytest.raises(ValidationError) as error:
        billing.add_service(wire, "")
    assert error.value.fields == {"name": REQUIRED}
    seo = billing.add_service(wire, "SEO")
    with pytest.raises(NotFound):
        billing.get_service(make_ctx().to_dict(), seo["id"])


def test_a_run_over_rpc_publishes_invoice_issued(billing, events, ctx, known_client):
    wire = ctx.to_dict()
    seo = billing.add_service(wire, "SEO")
    billing.assign_service(
        wire, seo["id"], known_client(ctx), "check", "one_time", date.today().isoformat(), 990
    )
    assert billing.run_billing(wire, date.today().isoformat())["issued"] == 1
    event = events.wait_for("invoice_issued")
    assert event["total"] == {"amount": 990, "currency": "USD"}
    (invoice,) = billing.list_invoices(wire, status="open")["items"]
    assert billing.mark_paid(wire, invoice["id"], "check", "1001")["status"] == "paid"
    assert events.wait_for("invoice_paid")["invoice_id"] == invoice["id"]
