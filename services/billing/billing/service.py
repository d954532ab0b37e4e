"""The billing service: the service catalog, assignments, time notes, billing runs, invoices.

Entrypoints only hand over to the domain modules (`self.db.write` commits before the reply);
every method takes the caller's context first; see docs/contracts.md ("billing").
"""

from __future__ import annotations

import functools
import inspect
from datetime import UTC, datetime

from billing.catalog import assignments, availability, services, time_notes
from billing.dependencies import BillingSettings
from billing.facts import agencies, clients
from billing.facts.agencies import timezone_of
from billing.invoicing import charges, invoices, pdf, runs, usage_rebilling
from billing.invoicing.periods import today_in
from billing.ledger import accounts as ledger_accounts
from billing.ledger import balance_refunds, funding, portal_balance, topups, transfers, usage
from billing.ledger.draw_batches import DrawBatches
from billing.payments import (
    accounts,
    card_update,
    cards,
    charging,
    overdue,
    portal_payments,
    refunds,
    webhooks,
)
from billing.subscription import erasure, lifecycle, renewals
from billing.subscription import invoices as platform_invoices
from kit import failed_events, metrics, permissions
from kit.context import Context
from kit.db import Database
from kit.encryption import Cipher
from kit.errors import NotFound, ValidationError
from kit.events import EventRetry, reliable_handler
from kit.outbox import OutboxRelay
from kit.rpc import ServiceRpc
from kit.service import RequestLogging, rpc
from kit.timers import timer

# How often failed invoices are checked against the agencies' "inactive after N days" rule.
OVERDUE_EVERY_SECONDS = 3600

# The run is daily, but each agency's day starts at its own midnight: looking every hour issues
# an agency's invoices within an hour of its day starting, and a run issues only what is due.
RUN_EVERY_SECONDS = 3600
# Stripe customers of deleted agencies are removed this often (until Stripe agrees).
CUSTOMER_DELETIONS_EVERY_SECONDS = 5
# Refunds (of invoices, of balances) whose Stripe answer was lost and that nobody tried again are
# settled this often.
REFUND_SETTLE_EVERY_SECONDS = 60


def knowing_client(method):
    """An entrypoint naming a `client_id`: refused because billing has not heard of the client
    yet (its `client_created` event is on its way), it learns the client from the clients service
    and runs once more. The refusal changed nothing, so running again is safe; nameko still
    checks calls against the method's own signature."""

    @functools.wraps(method)
    def run(self, ctx, *args, **kwargs):
        try:
            return method(self, ctx, *args, **kwargs)
        except (NotFound, ValidationError) as refusal:
            about_the_client = clients.NO_SUCH_CLIENT in (
                refusal.message,
                (refusal.fields or {}).get("client_id"),
            )
            if not about_the_client:
                raise
            named = signature.bind(self, ctx, *args, **kwargs).arguments.get("client_id")
            self.db.rollback()  # a refused read leaves its transaction open: nothing to keep
            if named is None or not self.db.flow(
                clients.learn_client, ctx, named, self.clients_service.get_client
            ):
                raise
            return method(self, ctx, *args, **kwargs)

    signature = inspect.signature(method)
    run.__signature__ = signature
    return run


class BillingService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    name = "billing"

    db = Database()
    settings = BillingSettings()
    cipher = Cipher()
    outbox = OutboxRelay()
    event_retry = EventRetry()
    # Every 5 s: its line only when it removed a customer (or failed).
    request_logging = RequestLogging(quiet_when_idle=("delete_platform_customers",))
    identity = ServiceRpc("identity")
    clients_service = ServiceRpc("clients")
    draws = DrawBatches()

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

    @reliable_handler("identity", "agency_deleted")
    def on_agency_deleted(self, payload):
        erasure.erase_deleted_agency(self.db, payload["agency_id"])

    @timer(interval=CUSTOMER_DELETIONS_EVERY_SECONDS)
    def delete_platform_customers(self):
        return erasure.delete_customers(self.db, self.settings)

    @timer(interval=REFUND_SETTLE_EVERY_SECONDS)
    def settle_pending_refunds(self):
        balance_refunds.settle_pending_refunds(self.db, self.cipher, self.settings)

    @timer(interval=REFUND_SETTLE_EVERY_SECONDS)
    def settle_pending_invoice_refunds(self):
        refunds.settle_pending_refunds(self.db, self.cipher, self.settings)

    # The agency's own subscription to the platform (the platform's Stripe account) --------------

    @timer(interval=RUN_EVERY_SECONDS)
    def renew_due_subscriptions(self):
        renewals.renew_due(self.db, self.identity, self.settings, datetime.now(UTC).date())

    @rpc
    def get_subscription(self, ctx):
        return self.db.read(lifecycle.get_subscription, ctx, self.settings)

    @rpc
    def start_subscription_setup(self, ctx):
        return self.db.flow(lifecycle.start_card_setup, ctx, self.settings)

    @rpc
    def subscribe(self, ctx, plan, setup_intent_id):
        return self.db.flow(
            lifecycle.subscribe, ctx, self.identity, self.settings, plan, setup_intent_id
        )

    @rpc
    def update_subscription_card(self, ctx, setup_intent_id):
        return self.db.flow(lifecycle.update_card, ctx, self.settings, setup_intent_id)

    @rpc
    def upgrade_subscription(self, ctx, plan):
        return self.db.flow(lifecycle.upgrade, ctx, self.identity, self.settings, plan)

    @rpc
    def cancel_subscription(self, ctx):
        return self.db.write(lifecycle.cancel, ctx, self.settings)

    @rpc
    def renew_subscription(self, ctx, as_of):
        return self.db.flow(renewals.renew_subscription, ctx, self.identity, self.settings, as_of)

    @rpc
    def list_platform_invoices(self, ctx, page=1, per_page=25):
        return self.db.read(platform_invoices.list_platform_invoices, ctx, page, per_page)

    @rpc
    def get_platform_invoice(self, ctx, invoice_id):
        return self.db.read(platform_invoices.get_platform_invoice, ctx, invoice_id)

    @rpc
    def platform_invoice_pdf(self, ctx, invoice_id):
        return self.db.read(platform_invoices.platform_invoice_pdf, ctx, invoice_id)

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
    @knowing_client
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
    @knowing_client
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
    @knowing_client
    def list_client_services(self, ctx, client_id):
        return self.db.read(availability.list_client_services, ctx, client_id)

    @rpc
    @knowing_client
    def set_client_services(self, ctx, client_id, service_ids):
        return self.db.write(availability.set_client_services, ctx, client_id, service_ids)

    @rpc
    def portal_list_services(self, ctx):
        return self.db.read(availability.portal_list_services, ctx)

    # Billing runs and invoices -------------------------------------------------------------------

    @timer(interval=RUN_EVERY_SECONDS, interval_key="BILLING_RUN_EVERY_SECONDS")
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
    @knowing_client
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
    @knowing_client
    def list_invoices(
        self, ctx, status=None, client_id=None, date_from=None, date_to=None, page=1, per_page=25
    ):
        return self.db.read(
            invoices.list_invoices, ctx, status, client_id, date_from, date_to, page, per_page
        )

    @rpc
    def export_invoices(self, ctx, page=1, per_page=100):
        return self.db.read(invoices.export_invoices, ctx, page, per_page)

    @rpc
    def get_invoice(self, ctx, invoice_id):
        return self.db.read(invoices.get_invoice, ctx, invoice_id)

    @rpc
    def invoice_pdf(self, ctx, invoice_id):
        return self.db.flow(pdf.invoice_document, ctx, invoice_id, self.identity)

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
    @knowing_client
    def get_card(self, ctx, client_id):
        return self.db.read(cards.get_card, ctx, client_id)

    @rpc
    @knowing_client
    def start_card_setup(self, ctx, client_id):
        return cards.start_card_setup(
            self.db, Context.from_dict(ctx), self.cipher, self.settings, client_id
        )

    @rpc
    @knowing_client
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

    # Card-update links (no login: the token is the key) --------------------------------------

    @rpc
    def open_card_link(self, ctx, token):
        return card_update.open_card_link(self.db, self.cipher, self.settings, token)

    @rpc
    def finish_card_link(self, ctx, token, setup_intent_id):
        return card_update.finish_card_link(
            self.db, self.cipher, self.settings, token, setup_intent_id
        )

    # The client portal ----------------------------------------------------------------------

    @rpc
    def portal_list_invoices(self, ctx, status=None, page=1, per_page=25):
        return self.db.read(portal_payments.portal_list_invoices, ctx, status, page, per_page)

    @rpc
    def portal_get_invoice(self, ctx, invoice_id):
        return self.db.read(portal_payments.portal_get_invoice, ctx, invoice_id)

    @rpc
    def portal_card(self, ctx):
        return self.db.read(portal_payments.portal_card, ctx)

    @rpc
    def portal_pay_invoice(self, ctx, invoice_id, setup_intent_id=None):
        return portal_payments.portal_pay_invoice(
            self.db, Context.from_dict(ctx), self.cipher, self.settings, invoice_id, setup_intent_id
        )

    @rpc
    def portal_balance(self, ctx):
        return self.db.read(portal_balance.portal_balance, ctx)

    @rpc
    def portal_top_up(self, ctx, amount, idempotency_key, setup_intent_id=None):
        return self.db.flow(
            portal_balance.portal_top_up,
            ctx,
            self.cipher,
            self.settings,
            amount,
            idempotency_key,
            setup_intent_id,
        )

    # Refunds and the overdue rule -------------------------------------------------------------

    @rpc
    def refund_invoice(self, ctx, invoice_id, amount=None, reason=None):
        return refunds.refund_invoice(
            self.db, Context.from_dict(ctx), self.cipher, self.settings, invoice_id, amount, reason
        )

    @rpc
    def list_refunds(self, ctx, invoice_id):
        return self.db.read(refunds.list_refunds, ctx, invoice_id)

    @rpc
    def export_refunds(self, ctx, page=1, per_page=100):
        return self.db.read(refunds.export_refunds, ctx, page, per_page)

    @rpc
    def get_billing_settings(self, ctx):
        return self.db.read(overdue.get_billing_settings, ctx)

    @rpc
    def set_billing_settings(self, ctx, inactive_after_failed_days=None):
        return self.db.write(overdue.set_billing_settings, ctx, inactive_after_failed_days)

    @timer(interval=OVERDUE_EVERY_SECONDS)
    def report_overdue_clients(self):
        with self.db.begin():
            overdue.report_overdue(self.db)

    # Balances: the ledger, usage, top-ups, funding (docs/contracts.md, "billing: balances") --

    @rpc
    @knowing_client
    def record_usage(self, ctx, client_id, amount, description, idempotency_key):
        def recharge(account_client_id, recharge_amount, key):
            system = Context.system(Context.from_dict(ctx).agency_id).to_dict()
            return self.db.flow(
                topups.top_up_by_card,
                system,
                self.cipher,
                self.settings,
                recharge_amount,
                key,
                account_client_id,
            )

        return self.db.flow(
            usage.record_usage,
            ctx,
            client_id,
            amount,
            description,
            idempotency_key,
            recharge=recharge,
            draw=self.draws,
        )

    @rpc
    @knowing_client
    def list_usage(self, ctx, client_id, page=1, per_page=25):
        return self.db.read(usage.list_usage, ctx, client_id, page, per_page)

    @rpc
    def export_usage(self, ctx, page=1, per_page=100):
        return self.db.read(usage.export_usage, ctx, page, per_page)

    @rpc
    def export_balances(self, ctx, page=1, per_page=100):
        return self.db.read(ledger_accounts.export_balances, ctx, page, per_page)

    @rpc
    def list_accounts(self, ctx):
        return self.db.read(ledger_accounts.list_accounts, ctx)

    @rpc
    def get_balances(self, ctx):
        return self.db.write(ledger_accounts.get_balances, ctx)

    @rpc
    def set_balance_settings(self, ctx, low_threshold, auto_recharge_amount=None):
        return self.db.write(
            ledger_accounts.set_balance_settings, ctx, low_threshold, auto_recharge_amount
        )

    @rpc
    def get_usage_rebilling(self, ctx):
        return self.db.read(usage_rebilling.get_usage_rebilling, ctx)

    @rpc
    def set_usage_rebilling(self, ctx, mode, markup_basis_points=None):
        return self.db.write(usage_rebilling.set_usage_rebilling, ctx, mode, markup_basis_points)

    @rpc
    def list_transfers(self, ctx, account, page=1, per_page=25):
        return self.db.write(transfers.list_transfers, ctx, account, page, per_page)

    @rpc
    def transfers_csv(self, ctx, account):
        return self.db.write(transfers.transfers_csv, ctx, account)

    @rpc
    @knowing_client
    def record_manual_credit(self, ctx, amount, reference, idempotency_key, client_id=None):
        return self.db.write(
            topups.record_manual_credit, ctx, amount, reference, idempotency_key, client_id
        )

    @rpc
    @knowing_client
    def top_up_by_card(self, ctx, amount, idempotency_key, client_id=None):
        return self.db.flow(
            topups.top_up_by_card,
            ctx,
            self.cipher,
            self.settings,
            amount,
            idempotency_key,
            client_id,
        )

    @rpc
    def start_agency_card_setup(self, ctx):
        return topups.start_agency_card_setup(
            self.db, Context.from_dict(ctx), self.cipher, self.settings
        )

    @rpc
    def save_agency_card(self, ctx, setup_intent_id):
        return topups.save_agency_card(
            self.db, Context.from_dict(ctx), self.cipher, self.settings, setup_intent_id
        )

    @rpc
    @knowing_client
    def refund_customer_balance(self, ctx, client_id, idempotency_key, amount=None, reference=""):
        return self.db.flow(
            balance_refunds.refund_customer_balance,
            ctx,
            self.cipher,
            self.settings,
            client_id,
            idempotency_key,
            amount,
            reference,
        )

    @rpc
    @knowing_client
    def get_funding(self, ctx, client_id):
        return self.db.read(ledger_accounts.get_funding, ctx, client_id)

    @rpc
    @knowing_client
    def request_customer_funding(self, ctx, client_id, email, starting_balance, message=""):
        return self.db.write(
            funding.request_customer_funding,
            ctx,
            self.settings,
            client_id,
            email,
            starting_balance,
            message,
        )

    @rpc
    @knowing_client
    def resend_funding_request(self, ctx, client_id, request_id):
        return self.db.write(
            funding.resend_funding_request, ctx, self.settings, client_id, request_id
        )

    @rpc
    @knowing_client
    def cancel_funding_request(self, ctx, client_id, request_id):
        return self.db.write(funding.cancel_funding_request, ctx, client_id, request_id)

    @rpc
    @knowing_client
    def fund_by_agency(self, ctx, client_id):
        return self.db.flow(funding.fund_by_agency, ctx, self.cipher, self.settings, client_id)

    # The customer's payment page (no login: the link's token is the authority)

    @rpc
    def get_customer_funding_request(self, ctx, token):
        return funding.get_customer_request(self.db, token)

    @rpc
    def start_customer_funding_card(self, ctx, token):
        return funding.start_customer_card(self.db, self.cipher, self.settings, token)

    @rpc
    def pay_customer_funding(self, ctx, token, setup_intent_id, amount):
        return funding.pay_customer_funding(
            self.db, self.cipher, self.settings, token, setup_intent_id, amount
        )
