"""The platform's invoices to the agency (its subscription charges): list, one, and its PDF."""

from __future__ import annotations

import base64

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.models import AgencyFact
from billing.subscription.documents import invoice_pdf
from billing.subscription.models import PlatformInvoice
from kit import permissions
from kit.context import Context
from kit.errors import NotFound
from kit.ids import parse_id
from kit.money import Money
from kit.paging import page_of

KIND_TEXT = {
    "subscription": "Subscription",
    "renewal": "Renewal",
    "upgrade": "Upgrade (rest of the period)",
}


def platform_invoice_dict(invoice: PlatformInvoice) -> dict:
    return {
        "id": str(invoice.id),
        "number": invoice.number,
        "kind": invoice.kind,
        "description": KIND_TEXT.get(invoice.kind, invoice.kind),
        "plan": {"code": invoice.plan_code, "name": invoice.plan_name},
        "users": invoice.users,
        "unit_price": Money(invoice.unit_price, invoice.currency).to_dict(),
        "days": invoice.days,
        "amount": Money(invoice.amount, invoice.currency).to_dict(),
        "period_start": invoice.period_start.isoformat(),
        "period_end": invoice.period_end.isoformat(),
        "issued_on": invoice.issued_on.isoformat(),
        "status": invoice.status,
        "failure_reason": invoice.failure_reason,
        "paid_at": invoice.paid_at.isoformat() if invoice.paid_at else None,
    }


def _may_read(ctx: Context) -> None:
    ctx.require_any(permissions.MANAGE_SETTINGS, permissions.VIEW_BILLING)


def list_platform_invoices(session: Session, ctx: Context, page=1, per_page=25) -> dict:
    """The agency's platform invoices, newest first (void ones too: they say what happened)."""
    _may_read(ctx)
    query = (
        select(PlatformInvoice)
        .where(PlatformInvoice.agency_id == ctx.agency)
        .order_by(PlatformInvoice.number.desc())
    )
    return page_of(
        session, query, page, per_page, lambda rows: [platform_invoice_dict(r) for (r,) in rows]
    )


def find_invoice(session: Session, ctx: Context, invoice_id) -> PlatformInvoice:
    _may_read(ctx)
    invoice = session.get(PlatformInvoice, parse_id(invoice_id, "invoice"))
    if invoice is None or invoice.agency_id != ctx.agency:
        raise NotFound("No such invoice.")
    return invoice


def get_platform_invoice(session: Session, ctx: Context, invoice_id) -> dict:
    return platform_invoice_dict(find_invoice(session, ctx, invoice_id))


def platform_invoice_pdf(session: Session, ctx: Context, invoice_id) -> dict:
    """`{"filename", "content_base64"}`: the invoice as a one-page PDF."""
    invoice = platform_invoice_dict(find_invoice(session, ctx, invoice_id))
    agency = session.get(AgencyFact, ctx.agency)
    content = invoice_pdf(invoice, agency.name if agency and agency.name else "Your agency")
    return {
        "filename": f"platform-invoice-{invoice['number']}.pdf",
        "content_base64": base64.b64encode(content).decode("ascii"),
    }
