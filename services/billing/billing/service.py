"""The billing service: the service catalog, assignments, time notes, billing runs, invoices.

Entrypoints only hand over to the domain modules (`self.db.write` commits before the reply);
every method takes the caller's context first; see docs/contracts.md ("billing").
"""

from __future__ import annotations

from datetime import UTC, datetime

from nameko.timer import timer

from billing.catalog import assignments, availability, services, time_notes
from billing.dependencies import BillingSettings
from billing.facts import agencies, clients
from billing.invoicing import charges, invoices, runs
from kit.db import Database
from kit.events import EventRetry, reliable_handler
from kit.outbox import OutboxRelay
from kit.service import RequestLogging, rpc

# The run is daily, but each agency's day starts at its own midnight: looking every hour issues
# an agency's invoices within an hour of its day starting, and a run issues only what is due.
RUN_EVERY_SECONDS = 3600


class BillingService:
    name = "billing"

    db = Database()
    settings = BillingSettings()
    outbox = OutboxRelay()
    event_retry = EventRetry()
    request_logging = RequestLogging()

    @rpc
    def health(self, ctx):
        return {"service": self.name, "ok": True}

    # What billing keeps of other services' records -----------------------------------------------

    @reliable_handler("clients", "client_created")
    def on_client_created(self, payload):
        clients.learn_from_event(self.db, payload)

    @reliable_handler("clients", "client_updated")
    def on_client_updated(self, payload):
        clients.learn_from_event(self.db, payload)

    @reliable_handler("clients", "client_status_changed")
    def on_client_status_changed(self, payload):
        clients.learn_from_event(self.db, payload)

    @reliable_handler("clients", "client_archived")
    def on_client_archived(self, payload):
        clients.learn_from_event(self.db, payload)

    @reliable_handler("clients", "client_restored")
    def on_client_restored(self, payload):
        clients.learn_from_event(self.db, payload)

    @reliable_handler("identity", "agency_signed_up")
    def on_agency_signed_up(self, payload):
        agencies.learn_from_event(self.db, payload)

    @reliable_handler("identity", "agency_updated")
    def on_agency_updated(self, payload):
        agencies.learn_from_event(self.db, payload)

    # The catalog ---------------------------------------------------------------------------------

    @rpc
    def add_service(self, ctx, name, description=None):
        return self.db.write(services.add_service, ctx, name, description)

    @rpc
    def update_service(self, ctx, service_id, **changes):
        return self.db.write(services.update_service, ctx, service_id, **changes)

    @rpc
    def archive_service(self, ctx, service_id):
        return self.db.write(services.archive_service, ctx, service_id)

    @rpc
    def get_service(self, ctx, service_id):
        return self.db.read(services.get_service, ctx, service_id)

    @rpc
    def list_services(self, ctx, status="active", page=1, per_page=25):
        return self.db.read(services.list_services, ctx, status, page, per_page)

    # Assignments and time notes ------------------------------------------------------------------

    @rpc
    def assign_service(
        self,
        ctx,
        service_id,
        client_id,
        payment_method,
        billing_type,
        start_date,
        rate,
        end_date=None,
        currency="USD",
        note=None,
    ):
        return self.db.write(
            assignments.assign_service,
            ctx,
            service_id,
            client_id,
            payment_method,
            billing_type,
            start_date,
            rate,
            end_date=end_date,
            currency=currency,
            note=note,
        )

    @rpc
    def end_assignment(self, ctx, assignment_id, end_date):
        return self.db.write(assignments.end_assignment, ctx, assignment_id, end_date)

    @rpc
    def delete_assignment(self, ctx, assignment_id):
        return self.db.write(assignments.delete_assignment, ctx, assignment_id)

    @rpc
    def get_assignment(self, ctx, assignment_id):
        return self.db.read(assignments.get_assignment, ctx, assignment_id)

    @rpc
    def list_assignments(
        self, ctx, client_id=None, service_id=None, status=None, page=1, per_page=25
    ):
        return self.db.read(
            assignments.list_assignments, ctx, client_id, service_id, status, page, per_page
        )

    @rpc
    def list_activities(self, ctx, assignment_id):
        return self.db.read(assignments.list_activities, ctx, assignment_id)

    @rpc
    def log_time(self, ctx, assignment_id, work_date, minutes, note=None):
        return self.db.write(time_notes.log_time, ctx, assignment_id, work_date, minutes, note)

    @rpc
    def update_time_note(self, ctx, note_id, **changes):
        return self.db.write(time_notes.update_time_note, ctx, note_id, **changes)

    @rpc
    def delete_time_note(self, ctx, note_id):
        return self.db.write(time_notes.delete_time_note, ctx, note_id)

    @rpc
    def list_time_notes(self, ctx, assignment_id):
        return self.db.read(time_notes.list_time_notes, ctx, assignment_id)

    # Services available per client ---------------------------------------------------------------

    @rpc
    def list_client_services(self, ctx, client_id):
        return self.db.read(availability.list_client_services, ctx, client_id)

    @rpc
    def set_client_services(self, ctx, client_id, service_ids):
        return self.db.write(availability.set_client_services, ctx, client_id, service_ids)

    @rpc
    def portal_list_services(self, ctx):
        return self.db.read(availability.portal_list_services, ctx)

    # Billing runs and invoices -------------------------------------------------------------------

    @timer(interval=RUN_EVERY_SECONDS)
    def run_due_billing(self):
        runs.run_due_billing(self.db, self.settings, datetime.now(UTC).date())

    @rpc
    def run_billing(self, ctx, as_of):
        return self.db.write(runs.run_billing, ctx, as_of, self.settings)

    @rpc
    def charge_now(
        self, ctx, client_id, service_id, amount, note=None, payment_method="check", currency="USD"
    ):
        return self.db.write(
            charges.charge_now,
            ctx,
            client_id,
            service_id,
            amount,
            self.settings,
            note=note,
            payment_method=payment_method,
            currency=currency,
        )

    @rpc
    def list_invoices(
        self, ctx, status=None, client_id=None, date_from=None, date_to=None, page=1, per_page=25
    ):
        return self.db.read(
            invoices.list_invoices, ctx, status, client_id, date_from, date_to, page, per_page
        )

    @rpc
    def get_invoice(self, ctx, invoice_id):
        return self.db.read(invoices.get_invoice, ctx, invoice_id)

    @rpc
    def mark_paid(self, ctx, invoice_id, method, reference=None):
        return self.db.write(invoices.mark_paid, ctx, invoice_id, method, reference)

    @rpc
    def void_invoice(self, ctx, invoice_id):
        return self.db.write(invoices.void_invoice, ctx, invoice_id)
