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
from billing.facts.agencies import timezone_of
from billing.invoicing import charges, invoices, runs
from billing.invoicing.periods import today_in
from billing.payments import accounts, cards, charging, webhooks
from kit import failed_events, metrics, permissions
from kit.context import Context
from kit.db import Database
from kit.encryption import Cipher
from kit.events import EventRetry, reliable_handler
from kit.outbox import OutboxRelay
from kit.service import RequestLogging, rpc

# The run is daily, but each agency's day starts at its own midnight: looking every hour issues
# an agency's invoices within an hour of its day starting, and a run issues only what is due.
RUN_EVERY_SECONDS = 3600


class BillingService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    name = "billing"

    db = Database()
    settings = BillingSettings()
    cipher = Cipher()
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
        utc_today = datetime.now(UTC).date()
        runs.run_due_billing(self.db, self.settings, utc_today)
        for agency in charging.agencies_with_charges_due(self.db, utc_today):
            self._charge_cards(agency)

    def _charge_cards(self, agency_id) -> dict:
        """Card invoices due for a charge, after the transaction that issued them committed."""
        with self.db.begin():
            today = today_in(timezone_of(self.db, agency_id))
        return charging.charge_due_cards(self.db, self.cipher, self.settings, agency_id, today)

    @rpc
    def run_billing(self, ctx, as_of):
        answer = self.db.write(runs.run_billing, ctx, as_of, self.settings)
        answer["charged"] = self._charge_cards(Context.from_dict(ctx).agency)
        return answer

    @rpc
    def charge_now(
        self, ctx, client_id, service_id, amount, note=None, payment_method="check", currency="USD"
    ):
        invoice = self.db.write(
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
        if invoice["payment_method"] != "card":
            return invoice
        self._charge_cards(Context.from_dict(ctx).agency)
        return self.db.read(invoices.get_invoice, ctx, invoice["id"])

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

    # Stripe, with the agency's own account ------------------------------------------------------

    @rpc
    def set_stripe_keys(
        self, ctx, publishable_key, secret_key, webhook_secret=None, retry_days=None
    ):
        Context.from_dict(ctx).require(permissions.MANAGE_SETTINGS)
        publishable, secret = accounts.clean_keys(publishable_key, secret_key)
        accounts.check_keys(secret, self.settings)  # a call to Stripe: outside any transaction
        return self.db.write(
            accounts.save_keys, ctx, self.cipher, publishable, secret, webhook_secret, retry_days
        )

    @rpc
    def get_stripe_account(self, ctx):
        return self.db.read(accounts.get_stripe_account, ctx)

    @rpc
    def start_card_setup(self, ctx, client_id):
        return cards.start_card_setup(
            self.db, Context.from_dict(ctx), self.cipher, self.settings, client_id
        )

    @rpc
    def save_card(self, ctx, client_id, setup_intent_id):
        return cards.save_card(
            self.db,
            Context.from_dict(ctx),
            self.cipher,
            self.settings,
            client_id,
            setup_intent_id,
        )

    @rpc
    def handle_stripe_webhook(self, ctx, agency_id, payload, signature):
        with self.db.begin():
            return webhooks.handle_stripe_webhook(
                self.db, self.cipher, agency_id, payload, signature
            )
