"""The Billing tab: Failed, Open, Paid and Void invoices (filtered by client and date, paged),
an invoice's page (service breakdown, totals, history) and its PDF; marking paid and voiding.
Seeing takes view_billing; marking paid and voiding, manage_billing."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.api.billing import invoice_pdf_response
from gateway.api.billing_schemas import MarkPaidRequest, RefundRequest
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.web import billing_forms
from gateway.web.client_forms import (
    PER_PAGE,
    client_choices,
    filtered_list,
    page_number,
    page_url,
)
from gateway.web.forms import Form, done, read_form
from kit import permissions
from kit.errors import DomainError

bp = Blueprint("billing", __name__, url_prefix="/billing")

# The list opens on what needs doing: failed payments first when there are any.
DEFAULT_TAB = "open"


@bp.get("/")
@permission_required(permissions.VIEW_BILLING)
def index():
    """Invoices of one status, newest number first, by client and invoice date."""
    args = request.args
    status = args.get("status") if args.get("status") in billing_forms.INVOICE_TABS else DEFAULT_TAB
    page, form, http_status = filtered_list(
        services.billing.list_invoices,
        {},
        status=status,
        client_id=args.get("client_id") or None,
        date_from=args.get("date_from") or None,
        date_to=args.get("date_to") or None,
        page=page_number(),
        per_page=PER_PAGE,
    )
    failed = services.billing.list_invoices(status="failed", per_page=1)["total"]
    return render_template(
        "billing/index.html",
        title="Billing",
        form=form,
        page=page,
        status=status,
        tabs=billing_forms.INVOICE_TABS,
        failed_count=failed,
        clients=client_choices(),
        paid_methods=billing_forms.PAID_METHODS,
        payment_methods=billing_forms.PAYMENT_METHODS,
        page_url=page_url,
    ), http_status


@bp.get("/invoices/<invoice_id>")
@permission_required(permissions.VIEW_BILLING)
def invoice(invoice_id: str):
    """An invoice: its lines (the service breakdown), total, status and what happened to it."""
    return render_template("billing/invoice.html", **_invoice_page(invoice_id, Form()))


def _invoice_page(invoice_id: str, form: Form, refund_form: Form | None = None) -> dict:
    found = services.billing.get_invoice(invoice_id)
    refunds = services.billing.list_refunds(invoice_id) if found["status"] == "paid" else []
    refunded = sum(r["amount"]["amount"] for r in refunds if r["status"] != "failed")
    left = {**found["total"], "amount": max(0, found["total"]["amount"] - refunded)}
    if refund_form is None:
        refund_form = Form({"amount": billing_forms.dollars(left) if left["amount"] else ""})
    return {
        "title": f"Invoice {found['number']}",
        "invoice": found,
        "form": form,
        "refunds": refunds,
        "refundable": left,
        "refund_form": refund_form,
        "refund_statuses": REFUND_STATUSES,
        "paid_methods": billing_forms.PAID_METHODS,
        "payment_methods": billing_forms.PAYMENT_METHODS,
    }


REFUND_STATUSES = {"pending": "Pending", "succeeded": "Refunded", "failed": "Failed"}


@bp.post("/invoices/<invoice_id>/refund")
@permission_required(permissions.MANAGE_BILLING)
def refund(invoice_id: str):
    """Refund a paid invoice, all of what is left or a part typed in dollars: at Stripe for a
    card payment made through Stripe, recorded as refunded by hand otherwise."""
    form = billing_forms.read_money_form(
        RefundRequest(), ("amount",), omit_blank=("amount", "reason")
    )
    try:
        body = form.valid_data()
        made = services.billing.refund_invoice(invoice_id, body.get("amount"), body.get("reason"))
    except DomainError as exc:
        if exc.http_status in (401, 404) or exc.http_status >= 500:
            raise
        billing_forms.refuse(form, exc)
        page = _invoice_page(invoice_id, Form(), refund_form=form)
        return render_template("billing/invoice.html", **page), exc.http_status
    how = "at Stripe" if made["method"] == "stripe" else "as refunded by hand"
    return done(
        f"A refund of {billing_forms.dollars(made['amount'])} on invoice {made['number']} "
        f"is recorded {how}.",
        url_for(".invoice", invoice_id=invoice_id),
    )


@bp.get("/invoices/<invoice_id>/pdf")
@permission_required(permissions.VIEW_BILLING)
def invoice_pdf(invoice_id: str):
    """The invoice's PDF, as a download."""
    return invoice_pdf_response(invoice_id)


@bp.post("/invoices/<invoice_id>/mark-paid")
@permission_required(permissions.MANAGE_BILLING)
def mark_paid(invoice_id: str):
    """Record a payment received outside Stripe, with its method and reference."""
    form = read_form(MarkPaidRequest(), omit_blank=("reference",))
    try:
        body = form.valid_data()
        # Positional: `method` is also the name of the RPC client's own argument.
        paid = services.billing.mark_paid(invoice_id, body["method"], body.get("reference"))
    except DomainError as exc:
        page = _invoice_page(invoice_id, form)
        return billing_forms.failed("billing/invoice.html", form, exc, **page)
    return done(f"Invoice {paid['number']} is marked paid.", _back(invoice_id))


@bp.post("/invoices/<invoice_id>/void")
@permission_required(permissions.MANAGE_BILLING)
def void(invoice_id: str):
    """Void an open or failed invoice: nothing is owed on it any more."""
    voided = services.billing.void_invoice(invoice_id)
    return done(f"Invoice {voided['number']} is void.", _back(invoice_id))


def _back(invoice_id: str) -> str:
    """Where an action returns: the list it was taken from, or the invoice's page."""
    if request.form.get("from") == "list":
        return url_for(".index", status=request.form.get("status") or DEFAULT_TAB)
    return url_for(".invoice", invoice_id=invoice_id)
