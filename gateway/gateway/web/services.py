"""The Services tab (catalog, assigned services, charges): a placeholder until the billing
service's catalog arrives."""

from __future__ import annotations

from flask import Blueprint

from gateway.web.placeholders import placeholder_view

bp = Blueprint("services", __name__, url_prefix="/services")

AREA = {
    "title": "Services",
    "icon": "briefcase",
    "arrives_with": "the billing service",
    "lead": "Services arrive with the billing service.",
    "holds": [
        (
            "journal-plus",
            "Service catalog",
            "The services your agency sells, each with a name and description.",
        ),
        (
            "link-45deg",
            "Assigned services",
            "Contracts per client: payment method, billing type, start and end date, rate.",
        ),
        ("lightning-charge", "Charge now", "One-time fees charged to a client immediately."),
        ("clock-history", "Time notes", "Hours noted on hourly services, invoiced at month end."),
    ],
}

bp.add_url_rule("/", "index", placeholder_view(AREA))
