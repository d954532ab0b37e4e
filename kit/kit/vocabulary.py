"""The words of the clients domain that the clients service checks and the gateway offers: one
list each, so a page, the API and the service cannot disagree about what a status or sort is.
"""

from __future__ import annotations

CLIENT_STATUSES = ("active", "inactive")
# What a list of clients (or of contacts, by their client) can be filtered on: archived clients
# are kept apart from the active and inactive ones.
LIST_STATUSES = (*CLIENT_STATUSES, "archived")
REQUEST_STATUSES = ("open", "in_progress", "done", "cancelled")
INVITATION_STATUSES = ("pending", "expired", "accepted", "cancelled")
FIELD_TYPES = ("text", "number", "date", "choice")
IMPORT_KINDS = ("clients", "contacts")

# Sort keys: a list is ordered by one of them, a leading "-" ordering it descending.
CLIENT_SORT_KEYS = ("created_at", "name", "last_activity", "contact_count")
CONTACT_SORT_KEYS = ("created_at", "name", "last_activity")
DEFAULT_SORT = "-created_at"

# The orders the Clients and Contacts pages offer, with their menu labels.
CLIENT_SORTS = {
    "-created_at": "Newest",
    "created_at": "Oldest",
    "name": "Name A-Z",
    "-name": "Name Z-A",
    "-last_activity": "Recent activity",
    "-contact_count": "Most contacts",
}
CONTACT_SORTS = {
    "-created_at": "Newest",
    "name": "Name A-Z",
    "-name": "Name Z-A",
    "-last_activity": "Recent activity",
}


def sort_values(keys: tuple[str, ...]) -> list[str]:
    """Every value a `sort` argument may take for these keys: each key, ascending and descending."""
    return [f"{direction}{key}" for key in keys for direction in ("", "-")]


# Billing's words (the billing service checks them, the API offers them).
PAYMENT_METHODS = ("card", "check")
BILLING_TYPES = ("one_time", "recurring_in_advance", "recurring_in_arrears", "hourly")
ASSIGNMENT_STATUSES = ("not_started", "active", "ending_today", "ended")
SERVICE_STATUSES = ("active", "archived")
INVOICE_STATUSES = ("open", "paid", "failed", "void")
# How a payment received outside Stripe came in (mark paid).
PAID_METHODS = ("check", "cash", "bank_transfer", "card", "other")

# Reporting: the dashboard's widgets, in their default order (a user may reorder and hide them).
DASHBOARD_WIDGETS = (
    "revenue",
    "outstanding",
    "failed",
    "mrr",
    "active_clients",
    "new_clients",
    "usage",
    "agency_balance",
    "revenue_by_month",
    "client_growth",
    "revenue_by_service",
)
# The reports, by the name in their address (`/api/v1/reports/<name>`).
REPORTS = ("revenue", "invoices", "aging", "usage", "clients")
REVENUE_GROUPS = ("client", "service", "month")
