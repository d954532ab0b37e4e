"""The client profile's billing tabs: its invoices (with totals issued, paid and open) and its
services (assigned, and those its contacts may ask for). Kept apart from clients.py, which
only names the tabs."""

from __future__ import annotations

from gateway.auth import can
from gateway.rpc import services
from gateway.web.billing_forms import PAYMENT_METHODS, WORDS, service_choices
from gateway.web.client_forms import page_number
from kit import permissions
from kit.money import Money

TABS = ("services", "invoices")
# Totals are summed over the client's invoices page by page; past this many, they say so.
MAX_TOTAL_PAGES = 20


def visible_tabs() -> list[tuple[str, str]]:
    tabs = []
    if any(can(p) for p in (permissions.MANAGE_SERVICES, permissions.VIEW_BILLING)):
        tabs.append(("services", "Services"))
    if can(permissions.VIEW_BILLING):
        tabs.append(("invoices", "Invoices"))
    return tabs


def tab_context(client_id: str, tab: str) -> dict:
    """What the profile shows on a billing tab (nothing the role may not see)."""
    if tab not in dict(visible_tabs()):
        return {"billing_tab_hidden": True}
    if tab == "invoices":
        return {
            "invoices": services.billing.list_invoices(
                client_id=client_id, page=page_number(), per_page=25
            ),
            "invoice_totals": invoice_totals(client_id),
            "payment_methods": PAYMENT_METHODS,
        }
    available = services.billing.list_client_services(client_id)
    return {
        "available": available,
        "chosen_ids": [s["id"] for s in available["items"]],
        "catalog": service_choices() if can(permissions.MANAGE_SERVICES) else [],
        "assigned": services.billing.list_assignments(client_id=client_id, per_page=100),
        "words": WORDS,
    }


def invoice_totals(client_id: str) -> dict:
    """Totals of the client's invoices: issued (not void), paid, and open (open or failed)."""
    sums = {"issued": 0, "paid": 0, "open": 0}
    currency, complete = "USD", True
    for number in range(1, MAX_TOTAL_PAGES + 1):
        page = services.billing.list_invoices(client_id=client_id, page=number, per_page=100)
        for invoice in page["items"]:
            amount, currency = invoice["total"]["amount"], invoice["total"]["currency"]
            if invoice["status"] != "void":
                sums["issued"] += amount
            if invoice["status"] == "paid":
                sums["paid"] += amount
            if invoice["status"] in ("open", "failed"):
                sums["open"] += amount
        if number * 100 >= page["total"]:
            break
    else:
        complete = False
    return {
        **{key: Money(value, currency).to_dict() for key, value in sums.items()},
        "complete": complete,
    }
