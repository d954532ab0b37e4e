"""The Billing tab (invoices, payments, balances): a placeholder until the billing service."""

from __future__ import annotations

from flask import Blueprint

from gateway.web.placeholders import placeholder_view

bp = Blueprint("billing", __name__, url_prefix="/billing")

AREA = {
    "title": "Billing",
    "icon": "receipt",
    "arrives_with": "the billing service",
    "lead": "Invoices, payments and balances will appear here.",
    "holds": [
        (
            "file-earmark-text",
            "Invoices",
            "Open, paid and failed invoices with their service breakdown; mark paid or void.",
        ),
        ("credit-card", "Payments", "Card payments through your own Stripe account, and checks."),
        ("wallet2", "Prepaid balances", "Usage balances for your agency and for each client."),
        ("arrow-repeat", "Billing runs", "Recurring and hourly services billed on schedule."),
    ],
}

bp.add_url_rule("/", "index", placeholder_view(AREA))
