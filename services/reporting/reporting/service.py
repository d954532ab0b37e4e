"""The reporting service: read models kept from the clients, billing, balances and identity
events, and the dashboard and reports over them (see docs/contracts.md, "reporting")."""

from __future__ import annotations

from kit import failed_events, metrics
from kit.db import Database
from kit.erasure import erase_agency
from kit.events import EventRetry, reliable_handler
from kit.service import RequestLogging, rpc
from reporting import layouts, learning, reports
from reporting.models import Base


class ReportingService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    name = "reporting"

    db = Database()
    event_retry = EventRetry()
    request_logging = RequestLogging()

    # Billing ------------------------------------------------------------------------------------

    @reliable_handler("billing", "invoice_issued")
    def on_invoice_issued(self, payload: dict) -> None:
        learning.invoice_issued(self.db, payload)

    @reliable_handler("billing", "invoice_paid")
    def on_invoice_paid(self, payload: dict) -> None:
        learning.invoice_paid(self.db, payload)

    @reliable_handler("billing", "invoice_failed")
    def on_invoice_failed(self, payload: dict) -> None:
        learning.invoice_failed(self.db, payload)

    @reliable_handler("billing", "invoice_voided")
    def on_invoice_voided(self, payload: dict) -> None:
        learning.invoice_voided(self.db, payload)

    @reliable_handler("billing", "payment_refunded")
    def on_payment_refunded(self, payload: dict) -> None:
        learning.payment_refunded(self.db, payload)

    @reliable_handler("billing", "service_assigned")
    def on_service_assigned(self, payload: dict) -> None:
        learning.assignment_changed(self.db, payload)

    @reliable_handler("billing", "assignment_ended")
    def on_assignment_ended(self, payload: dict) -> None:
        learning.assignment_changed(self.db, payload)

    @reliable_handler("billing", "assignment_deleted")
    def on_assignment_deleted(self, payload: dict) -> None:
        learning.assignment_changed(self.db, payload, deleted=True)

    # Clients, balances (billing's), identity ---------------------------------------------------

    @reliable_handler("clients", "client_created")
    def on_client_created(self, payload: dict) -> None:
        learning.client_changed(self.db, payload)

    @reliable_handler("clients", "client_updated")
    def on_client_updated(self, payload: dict) -> None:
        learning.client_changed(self.db, payload)

    @reliable_handler("clients", "client_status_changed")
    def on_client_status_changed(self, payload: dict) -> None:
        learning.client_changed(self.db, payload)

    @reliable_handler("clients", "client_archived")
    def on_client_archived(self, payload: dict) -> None:
        learning.client_changed(self.db, payload)

    @reliable_handler("clients", "client_restored")
    def on_client_restored(self, payload: dict) -> None:
        learning.client_changed(self.db, payload)

    @reliable_handler("billing", "usage_recorded")
    def on_usage_recorded(self, payload: dict) -> None:
        learning.usage_recorded(self.db, payload)

    @reliable_handler("billing", "balance_topped_up")
    def on_balance_topped_up(self, payload: dict) -> None:
        learning.balance_topped_up(self.db, payload)

    @reliable_handler("billing", "balance_refunded")
    def on_balance_refunded(self, payload: dict) -> None:
        learning.balance_refunded(self.db, payload)

    @reliable_handler("billing", "funding_changed")
    def on_funding_changed(self, payload: dict) -> None:
        learning.funding_changed(self.db, payload)

    @reliable_handler("identity", "agency_signed_up")
    def on_agency_signed_up(self, payload: dict) -> None:
        learning.learn_agency(self.db, payload)

    @reliable_handler("identity", "agency_updated")
    def on_agency_updated(self, payload: dict) -> None:
        learning.learn_agency(self.db, payload)

    @reliable_handler("identity", "agency_deleted")
    def on_agency_deleted(self, payload: dict) -> None:
        erase_agency(self.db, Base.metadata, payload["agency_id"])

    # The dashboard and reports ------------------------------------------------------------------

    @rpc
    def dashboard(self, ctx, date_from=None, date_to=None, client_id=None, currency=None):
        return self.db.read(reports.dashboard, ctx, date_from, date_to, client_id, currency)

    @rpc
    def revenue_report(
        self, ctx, date_from=None, date_to=None, client_id=None, currency=None, group="client"
    ):
        return self.db.read(
            reports.revenue_report, ctx, date_from, date_to, client_id, currency, group
        )

    @rpc
    def invoices_report(self, ctx, date_from=None, date_to=None, client_id=None, currency=None):
        return self.db.read(reports.invoices_report, ctx, date_from, date_to, client_id, currency)

    @rpc
    def aging_report(self, ctx, date_from=None, date_to=None, client_id=None, currency=None):
        return self.db.read(reports.aging_report, ctx, date_from, date_to, client_id, currency)

    @rpc
    def usage_report(self, ctx, date_from=None, date_to=None, client_id=None, currency=None):
        return self.db.read(reports.usage_report, ctx, date_from, date_to, client_id, currency)

    @rpc
    def clients_report(self, ctx, date_from=None, date_to=None, client_id=None, currency=None):
        return self.db.read(reports.clients_report, ctx, date_from, date_to, client_id, currency)

    @rpc
    def client_profile(self, ctx, client_id):
        return self.db.read(reports.client_profile, ctx, client_id)

    @rpc
    def get_layout(self, ctx):
        return self.db.read(layouts.get_layout, ctx)

    @rpc
    def save_layout(self, ctx, widgets):
        return self.db.write(layouts.save_layout, ctx, widgets)

    @rpc
    def reset_layout(self, ctx):
        return self.db.write(layouts.reset_layout, ctx)

    @rpc
    def health(self, ctx=None):
        return {"service": self.name, "ok": True}
