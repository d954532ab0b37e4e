"""The client portal's prepaid balance: a contact of a customer-funded client sees the balance
and its recent transfers and tops it up by card (at least $25) through the agency's own Stripe
account, with the saved card or a new one entered with Stripe.js (static/js/card_form.js).
Billing takes the client from the call context, never from the page; a contact of an
agency-funded client gets a 404 (billing's NotFound)."""

from __future__ import annotations

import uuid

from flask import Blueprint, flash, redirect, request, url_for

from gateway.auth import portal_login_required, principal
from gateway.rpc import services
from gateway.web.billing_forms import minor_units
from gateway.web.payments import card_page
from kit.errors import Conflict, PaymentFailed, ValidationError

bp = Blueprint("portal_balance", __name__, url_prefix="/portal")


def _page(message: str | None = None, status: int = 200, amount: str = "25.00"):
    balance = services.billing.portal_balance()
    setup = (
        services.billing.start_card_setup(principal()["client_id"])
        if balance["card_payments"]
        else None
    )
    return card_page(
        "portal/balance.html",
        status,
        title="Balance",
        balance=balance,
        setup=setup,
        message=message,
        amount=amount,
        # A fresh key per page: a double submit tops up once, a new try is a new top-up.
        idempotency_key=uuid.uuid4().hex,
        balance_nav=True,
    )


@bp.route("/balance", methods=["GET", "POST"])
@portal_login_required
def balance():
    """GET: the balance, its recent transfers and the top-up form; POST: top up by card."""
    if request.method == "GET":
        return _page()
    amount_text = request.form.get("amount", "")
    try:
        topped = services.billing.portal_top_up(
            minor_units(amount_text),
            request.form.get("idempotency_key", ""),
            request.form.get("setup_intent_id") or None,
        )
    except (ValidationError, PaymentFailed, Conflict) as exc:
        return _page(exc.message, exc.http_status, amount_text)
    flash(f"Thank you: {_money(topped['amount'])} added to the balance.", "success")
    return redirect(url_for(".balance"))


def _money(value: dict) -> str:
    from gateway.web.shell import format_money

    return format_money(value)
