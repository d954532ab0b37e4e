"""Events fed to the handlers' functions, each in its own transaction, as the service does."""

from __future__ import annotations

from kit import permissions
from kit.testing import team_context
from reporting import learning

HANDLERS = {
    "agency_signed_up": learning.learn_agency,
    "agency_updated": learning.learn_agency,
    "invoice_issued": learning.invoice_issued,
    "invoice_paid": learning.invoice_paid,
    "invoice_failed": learning.invoice_failed,
    "invoice_voided": learning.invoice_voided,
    "payment_refunded": learning.payment_refunded,
    "service_assigned": learning.assignment_changed,
    "assignment_ended": learning.assignment_changed,
    "assignment_deleted": lambda s, p: learning.assignment_changed(s, p, deleted=True),
    "client_created": learning.client_changed,
    "client_updated": learning.client_changed,
    "client_status_changed": learning.client_changed,
    "client_archived": learning.client_changed,
    "client_restored": learning.client_changed,
    "usage_recorded": learning.usage_recorded,
    "balance_topped_up": learning.balance_topped_up,
    "balance_refunded": learning.balance_refunded,
    "funding_changed": learning.funding_changed,
}


def feed(session, events) -> None:
    for event_type, payload in events:
        with session.begin():
            HANDLERS[event_type](session, payload)


def viewer(agency_id=None, principal_id="u-1"):
    """A team member who may see reports: a fresh agency unless one is named."""
    return team_context(agency_id, {permissions.VIEW_REPORTS}, principal_id)
