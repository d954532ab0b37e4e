"""The team saves a client's card (manage_billing): a SetupIntent from billing, the card entered
with Stripe.js (static/js/card_form.js; the number never reaches us), then billing saves it and
the page shows the saved card's brand and last four digits (as it does whenever one is saved)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, request, url_for

from gateway.auth import permission_required
from gateway.rpc import services
from gateway.web.payments import card_page
from kit import permissions
from kit.errors import Conflict, DomainError, StripeKeyRefused
from kit.ids import parse_id

bp = Blueprint("client_card", __name__, url_prefix="/clients")


@bp.route("/<client_id>/card", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_BILLING)
def card(client_id: str):
    """Enter a card for the client (it replaces the saved one)."""
    parse_id(client_id)
    client = services.clients.get_client(client_id)
    if request.method == "POST":
        try:
            saved = services.billing.save_card(client_id, request.form.get("setup_intent_id", ""))
        except DomainError as exc:
            if exc.http_status in (401, 404) or exc.http_status >= 500:
                raise
            flash(exc.message, "danger")
            return redirect(url_for(".card", client_id=client_id))
    else:
        saved = services.billing.get_card(client_id)
    refused = None
    try:
        setup = services.billing.start_card_setup(client_id)
    except StripeKeyRefused as exc:
        setup, refused = None, exc.message
    except Conflict:
        setup = None  # no Stripe keys: card payment is not offered
    return card_page(
        "clients/card.html",
        title=f"Card for {client['name']}",
        client=client,
        setup=setup,
        saved=saved,
        key_refused=refused,
    )
