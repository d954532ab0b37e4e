"""The Billing tab: Failed, Open, Paid and Void invoices (filtered by client and date, paged),
an invoice's page (service breakdown, totals, history) and its PDF; marking paid and voiding.
Seeing takes view_billing; marking paid and voiding, manage_billing."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.api.billing import invoice_pdf_response
from gateway.api.billing_schemas import MarkPaidRequest
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.web import billing_forms
from gateway.web.client_forms import PER_PAGE, filtered_list, page_number, page_url
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
        clients=billing_forms.client_choices(),
        paid_methods=billing_forms.PAID_METHODS,
        payment_methods=billing_forms.PAYMENT_METHODS,
        page_url=page_url,
    ), http_status


@bp.get("/invoices/<invoice_id>")
@permission_required(permissions.VIEW_BILLING)
def invoice(invoice_id: str):
    """An invoice: its lines (the service breakdown), total, status and what happened to it."""
    return render_template("billing/invoice.html", **_invoice_page(invoice_id, Form()))


def _invoice_page(invoice_id: str, form: Form) -> dict:
    found = services.billing.get_invoice(invoice_id)
    return {
        "title": f"Invoice {found['number']}",
        "invoice": found,
        "form": form,
        "paid_methods": billing_forms.PAID_METHODS,
        "payment_methods": billing_forms.PAYMENT_METHODS,
    }


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
