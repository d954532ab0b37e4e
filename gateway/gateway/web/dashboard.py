"""The team's home page: the agency's figures for a date range and client (from the reporting
service), arranged by each user (order and visibility kept by reporting, per user id).

A user without `view_reports` sees the welcome cards: plan, team and trial.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from gateway.auth import can, login_required
from gateway.rpc import services
from gateway.web.report_filters import PRESETS, client_choices, current_filters
from gateway.web.shell import current_agency
from kit import permissions
from kit.errors import DomainError, NotFound, ValidationError

bp = Blueprint("dashboard", __name__)

# Each widget: its title and icon, and whether it is a figure (KPI) or a chart.
WIDGETS = {
    "revenue": ("Revenue", "cash-stack", "kpi"),
    "outstanding": ("Outstanding", "hourglass-split", "kpi"),
    "failed": ("Failed payments", "exclamation-triangle", "kpi"),
    "mrr": ("Monthly recurring revenue", "arrow-repeat", "kpi"),
    "active_clients": ("Active clients", "building-check", "kpi"),
    "new_clients": ("New clients", "building-add", "kpi"),
    "usage": ("Usage", "speedometer2", "kpi"),
    "agency_balance": ("Agency balance", "wallet2", "kpi"),
    "revenue_by_month": ("Revenue by month", "bar-chart", "chart"),
    "client_growth": ("Client growth", "graph-up", "chart"),
    "revenue_by_service": ("Revenue by service", "pie-chart", "chart"),
}
HINTS = {
    "revenue": "Paid in the period, less refunds",
    "outstanding": "Open invoices issued by the end of the period",
    "failed": "Card payments declined, not yet paid",
    "mrr": "Active recurring services on the last day",
    "active_clients": "Active and not archived",
    "new_clients": "Added in the period",
    "usage": "Drawn from prepaid balances in the period",
    "agency_balance": "Prepaid balance now",
}


@bp.get("/")
@login_required
def index():
    """The dashboard (with view_reports), else the welcome cards."""
    if not can(permissions.VIEW_REPORTS):
        return _welcome()
    filters = current_filters()
    board, error = None, None
    try:
        board = services.reporting.dashboard(
            date_from=filters["date_from"],
            date_to=filters["date_to"],
            client_id=filters["client_id"] or None,
        )
    except (NotFound, ValidationError) as exc:
        error = exc.message
    layout = services.reporting.get_layout()["widgets"]
    return render_template(
        "dashboard.html",
        title="Dashboard",
        agency=current_agency(),
        board=board,
        error=error,
        filters=filters,
        presets=PRESETS,
        clients=client_choices(),
        layout=layout,
        widgets=WIDGETS,
        hints=HINTS,
    )


def _welcome():
    try:
        entitlements = services.identity.get_entitlements()
    except DomainError:
        entitlements = None
    clients = _client_count() if can(permissions.VIEW_CLIENTS) else None
    return render_template(
        "dashboard_welcome.html",
        title="Dashboard",
        agency=current_agency(),
        entitlements=entitlements,
        clients=clients,
    )


def _client_count() -> int | None:
    """Active clients, when the clients service can say; the card copes without."""
    try:
        page = services.clients.list_clients(status="active", page=1, per_page=1)
    except Exception:  # the clients service is another area's: its absence must not break home
        return None
    if isinstance(page, dict):
        return page.get("total")
    return None
