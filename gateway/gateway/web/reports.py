"""The Reports tab: revenue (by client, service or month), invoices by status, aging, usage and
client growth; each filtered by period and client, sorted by any column, exported as CSV with
the same rows and totals (gateway/report_tables.py makes both)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for

from gateway import report_tables
from gateway.auth import permission_required
from gateway.web.report_filters import PRESETS, client_choices, current_filters
from kit import permissions
from kit.errors import NotFound, ValidationError
from kit.vocabulary import REPORTS, REVENUE_GROUPS

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.get("/")
@permission_required(permissions.VIEW_REPORTS)
def index():
    """The first report."""
    return redirect(url_for("reports.show", name="revenue"))


@bp.get("/<name>")
@permission_required(permissions.VIEW_REPORTS)
def show(name: str):
    """One report as a sortable table, with its filters and a CSV link."""
    if name not in REPORTS:
        abort(404)
    filters = current_filters()
    if name == "revenue" and filters["group"] not in REVENUE_GROUPS:
        filters["group"] = "client"
    report, error = None, None
    try:
        report = report_tables.fetch(name, {**filters, "client_id": filters["client_id"] or None})
    except (NotFound, ValidationError) as exc:
        error = exc.message
    query = {
        "from": filters["date_from"],
        "to": filters["date_to"],
        "client_id": filters["client_id"] or None,
        "group": filters["group"] if name == "revenue" else None,
        "sort": filters["sort"] or None,
    }
    return render_template(
        "reports/report.html",
        title=report_tables.TITLES[name],
        name=name,
        names=REPORTS,
        titles=report_tables.TITLES,
        report=report,
        error=error,
        columns=report_tables.columns(name, filters["group"] or "client"),
        filters=filters,
        presets=PRESETS,
        clients=client_choices(),
        groups=REVENUE_GROUPS,
        query=query,
        extra={"group": filters["group"]} if name == "revenue" else {},
    )
