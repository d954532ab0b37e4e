"""The Reports tab (revenue, invoices, exports): a placeholder until the reporting service."""

from __future__ import annotations

from flask import Blueprint

from gateway.web.placeholders import placeholder_view

bp = Blueprint("reports", __name__, url_prefix="/reports")

AREA = {
    "title": "Reports",
    "icon": "bar-chart",
    "arrives_with": "the reporting service",
    "lead": "Reports arrive with the reporting service.",
    "holds": [
        ("graph-up-arrow", "Revenue", "Revenue over time, filtered by date and by client."),
        ("receipt-cutoff", "Invoices", "Invoice totals by status and period."),
        ("people", "Client growth", "New, active and inactive clients over time."),
        ("filetype-csv", "CSV exports", "Every report as a CSV file."),
    ],
}

bp.add_url_rule("/", "index", placeholder_view(AREA))
