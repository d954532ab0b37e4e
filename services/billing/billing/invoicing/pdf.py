"""An invoice as a PDF (fpdf2): what the agency sends and the client keeps.

`render_invoice` is a pure function of the invoice dict (`invoice_dict` with its lines) and the
agency's name, brand colour and logo; `invoice_pdf` reads the invoice and the agency's facts,
asks identity for the logo (outside any transaction: `invoice_document`) and answers the file as
base64 (RPC results are JSON). The team (`view_billing`) reads any of its agency's invoices; a
portal login only its own client's. Identity away or the agency without a logo: no logo.
"""

from __future__ import annotations

import base64
import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.invoicing.invoices import find_invoice, invoice_with_lines
from billing.models import AgencyFact
from billing.pdf_layout import STATUS_WORDS, InvoiceLayout, amount_text
from kit import permissions
from kit.context import PORTAL, Context
from kit.errors import NotFound

log = logging.getLogger(__name__)

PAID_METHOD_WORDS = {
    "check": "check",
    "cash": "cash",
    "bank_transfer": "bank transfer",
    "card": "card",
    "other": "other",
}


def filename(invoice: dict) -> str:
    return f"invoice-{invoice['number']}.pdf"


def hours_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest:02d}"


def period_text(start: str | None, end: str | None) -> str:
    if start and end and start != end:
        return f"{start} to {end}"
    return start or ""


def render_invoice(
    invoice: dict, agency_name: str, brand_color: str | None = None, logo: bytes | None = None
) -> bytes:
    """The invoice as PDF bytes: agency (logo, name, brand colour), client, number, dates,
    status, lines, total and what happened to it (paid, failed, void)."""
    pdf = InvoiceLayout(f"Invoice {invoice['number']}", agency_name, (invoice, agency_name))
    pdf.header_of(agency_name, invoice["number"], color=brand_color, logo=logo)
    pdf.facts(
        [
            ("Billed to", invoice["client"]["name"]),
            ("Invoice number", str(invoice["number"])),
            ("Issued on", invoice["issued_on"]),
            ("Due on", invoice["due_on"]),
            ("Payment method", invoice["payment_method"]),
            ("Status", STATUS_WORDS.get(invoice["status"], invoice["status"])),
        ]
    )
    pdf.lines_table(
        ("Service", "Description", "Period", "Hours", "Amount"),
        (
            (
                line["service_name"],
                line["description"],
                period_text(line["period_start"], line["period_end"]),
                hours_text(line["minutes"]),
                amount_text(line["amount"]),
            )
            for line in invoice.get("lines", [])
        ),
        col_widths=(34, 62, 44, 14, 36),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
    )
    pdf.total(invoice["total"])

    if invoice["status"] == "paid":
        method = PAID_METHOD_WORDS.get(invoice["paid_method"] or "", invoice["paid_method"] or "")
        paid = f"Paid on {(invoice['paid_at'] or '')[:10]}" + (f" by {method}" if method else "")
        if invoice.get("paid_reference"):
            paid += f" (reference {invoice['paid_reference']})"
        pdf.line_of_text(paid + ".", bold=True)
    elif invoice["status"] == "void":
        pdf.line_of_text(
            f"Void since {(invoice['voided_at'] or '')[:10]}: nothing is owed on this invoice.",
            bold=True,
        )
    elif invoice["status"] == "failed":
        reason = invoice.get("failure_reason") or "the card was declined"
        pdf.line_of_text(f"The card payment failed: {reason}.", bold=True)
    else:
        pdf.line_of_text(f"Please pay by {invoice['due_on']}.")
    if invoice.get("note"):
        pdf.ln(2)
        pdf.style(9)
        pdf.multi_cell(0, 5, pdf.text_of(invoice["note"]), new_x="LMARGIN", new_y="NEXT")
    return pdf.to_bytes()


def invoice_facts(session: Session, ctx: Context, invoice_id: Any) -> dict:
    """`{"invoice", "agency_name", "brand_color"}`: what the PDF prints, read in one go; a
    portal login reads only its own client's invoices (another client's is NotFound, as
    another agency's)."""
    if ctx.kind == PORTAL:
        invoice = find_invoice(session, ctx, invoice_id)
        if not ctx.client_id or str(invoice.client_id) != str(ctx.client_id):
            raise NotFound("No such invoice.")
    else:
        ctx.require(permissions.VIEW_BILLING)
        invoice = find_invoice(session, ctx, invoice_id)
    agency = session.execute(
        select(AgencyFact.name, AgencyFact.brand_color).where(AgencyFact.agency_id == ctx.agency)
    ).first()
    return {
        "invoice": invoice_with_lines(session, invoice),
        "agency_name": agency.name if agency else "",
        "brand_color": agency.brand_color if agency else None,
    }


def pdf_answer(facts: dict, logo: bytes | None = None) -> dict:
    """`{"filename", "content_base64"}` of the invoice's PDF."""
    content = render_invoice(facts["invoice"], facts["agency_name"], facts["brand_color"], logo)
    return {
        "filename": filename(facts["invoice"]),
        "content_base64": base64.b64encode(content).decode("ascii"),
    }


def invoice_pdf(session: Session, ctx: Context, invoice_id: Any, logo: bytes | None = None) -> dict:
    """The invoice's PDF from one read (the logo, if any, given by the caller)."""
    return pdf_answer(invoice_facts(session, ctx, invoice_id), logo)


def agency_logo(identity: Any, ctx: Context) -> bytes | None:
    """The agency's logo from identity (`get_agency_logo`, with the RPC timeout of
    `kit.rpc.ServiceRpc`); None when it has none or identity does not answer."""
    try:
        found = identity.get_agency_logo(Context.system(str(ctx.agency)).to_dict())
        return base64.b64decode(found["data_base64"])
    except NotFound:
        return None
    except Exception:  # identity away (timeout, error): the PDF goes without it
        log.warning("no logo for agency %s: identity did not answer", ctx.agency, exc_info=True)
        return None


def invoice_document(db: Session, ctx: Context, invoice_id: Any, identity: Any) -> dict:
    """The RPC's answer (run by `db.flow`): read the invoice (its transaction ends), then ask
    identity for the logo, then render; never fails for want of the logo."""
    with db.begin():
        facts = invoice_facts(db, ctx, invoice_id)
    return pdf_answer(facts, agency_logo(identity, ctx))
