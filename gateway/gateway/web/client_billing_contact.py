"""The billing contact selector on a client's profile (templates/clients/_billing_contact.html):
which of the client's contacts invoices, receipts and card links reach. None chosen: the first
contact (the clients service decides, and says which in `client.billing_contact`)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from gateway.auth import can, permission_required
from gateway.rpc import services
from kit import permissions
from kit.errors import ValidationError

bp = Blueprint("client_billing_contact", __name__, url_prefix="/clients")


@bp.app_context_processor
def billing_contact_choices() -> dict:
    """`billing_contact_choices(client)`: the client's live contacts for the selector (asked
    only when the partial is shown to someone who may change it)."""

    def choices(client: dict) -> list[dict]:
        if client.get("archived") or not can(permissions.EDIT_CLIENTS):
            return []
        page = services.clients.list_contacts(client_id=client["id"], sort="name", per_page=100)
        return page["items"]

    return {"billing_contact_choices": choices}


@bp.post("/<client_id>/billing-contact")
@permission_required(permissions.EDIT_CLIENTS)
def set_billing_contact(client_id: str):
    """Choose the billing contact (an empty choice: the client's first contact)."""
    try:
        client = services.clients.set_billing_contact(
            client_id, request.form.get("contact_id") or None
        )
    except ValidationError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("clients.show", client_id=client_id))
    contact = client["billing_contact"]
    if contact is None:
        flash(f"{client['name']} has no contact to send invoices to yet.", "info")
    else:
        how = "" if contact["chosen"] else " (its first contact)"
        flash(f"Invoices of {client['name']} now go to {contact['name']}{how}.", "success")
    return redirect(url_for("clients.show", client_id=client_id))
