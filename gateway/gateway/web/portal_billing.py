"""The client portal's invoices: the contact's own client's invoices (another client's id is a
404, as the billing service says), each with its PDF; paying an open or failed one by card (the
saved card, or a new one entered with Stripe.js and saved for later invoices); updating the card.
Billing takes the client from the call context, never from the page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.api.billing import invoice_pdf_response
from gateway.auth import portal_login_required, principal
from gateway.rpc import services
from gateway.web import client_forms
from gateway.web.payments import card_page
from kit.errors import Conflict, DomainError, PaymentFailed, ValidationError
from kit.vocabulary import INVOICE_STATUSES

bp = Blueprint("portal_billing", __name__, url_prefix="/portal")


@bp.get("/invoices")
@portal_login_required
def invoices():
    """The client's invoices, newest first, filtered by status."""
    status = request.args.get("status")
    status = status if status in INVOICE_STATUSES else None
    return render_template(
        "portal/invoices.html",
        title="Invoices",
        status=status,
        statuses=INVOICE_STATUSES,
        invoices=services.billing.portal_list_invoices(
            status=status, page=client_forms.page_number()
        ),
        card=services.billing.portal_card(),
        page_url=client_forms.page_url,
    )


@bp.get("/invoices/<invoice_id>")
@portal_login_required
def invoice(invoice_id: str):
    """One invoice with its service breakdown."""
    return render_template(
        "portal/invoice.html",
        title="Invoice",
        invoice=services.billing.portal_get_invoice(invoice_id),
        card=services.billing.portal_card(),
    )


@bp.get("/invoices/<invoice_id>/pdf")
@portal_login_required
def invoice_pdf(invoice_id: str):
    return invoice_pdf_response(invoice_id)


def _pay_page(invoice: dict, message: str | None = None, status: int = 200):
    card = services.billing.portal_card()
    setup = services.billing.start_card_setup(_client_id()) if card["card_payments"] else None
    return card_page(
        "portal/pay.html",
        status,
        title=f"Pay invoice {invoice['number']}",
        invoice=invoice,
        card=card,
        setup=setup,
        message=message,
    )


def _client_id() -> str:
    """The signed-in contact's client (billing checks it against the call context again)."""
    return principal()["client_id"]


@bp.route("/invoices/<invoice_id>/pay", methods=["GET", "POST"])
@portal_login_required
def pay(invoice_id: str):
    """Pay an open or failed invoice by card: the saved one, or a new one entered here."""
    invoice = services.billing.portal_get_invoice(invoice_id)
    if invoice["status"] not in ("open", "failed"):
        flash(f"Invoice {invoice['number']} is {invoice['status']}: nothing to pay.", "info")
        return redirect(url_for(".invoice", invoice_id=invoice_id))
    if request.method == "GET":
        return _pay_page(invoice)
    try:
        paid = services.billing.portal_pay_invoice(
            invoice_id, request.form.get("setup_intent_id") or None
        )
    except (PaymentFailed, ValidationError, Conflict) as exc:
        return _pay_page(services.billing.portal_get_invoice(invoice_id), exc.message, 402)
    flash(f"Thank you: invoice {paid['number']} is paid.", "success")
    return redirect(url_for(".invoice", invoice_id=invoice_id))


@bp.route("/card", methods=["GET", "POST"])
@portal_login_required
def card():
    """See and replace the card the agency charges."""
    if request.method == "POST":
        try:
            saved = services.billing.save_card(
                _client_id(), request.form.get("setup_intent_id", "")
            )
        except DomainError as exc:
            flash(exc.message, "danger")
            return redirect(url_for(".card"))
        flash(f"Your card is saved: {saved['card']}.", "success")
        return redirect(url_for(".invoices"))
    current = services.billing.portal_card()
    setup = services.billing.start_card_setup(_client_id()) if current["card_payments"] else None
    return card_page("portal/card.html", title="Your card", card=current, setup=setup)
