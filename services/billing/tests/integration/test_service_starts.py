"""The billing service starts on its migrated database and answers over RPC."""

from sqlalchemy import inspect


def test_service_answers_health_over_rpc(billing):
    assert billing.health({"agency_id": None}) == {"service": "billing", "ok": True}


def test_first_migration_creates_billing_and_kit_tables(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"services", "assignments", "time_notes", "invoices", "invoice_lines"} <= tables
    assert {"invoice_counters", "client_facts", "agency_facts"} <= tables
    assert {"outbox", "processed_events", "failed_events"} <= tables
