"""An invoice as a PDF (fpdf2): what the agency sends and the client keeps.

`render_invoice` is a pure function of the invoice dict (`invoice_dict` with its lines) and the
agency's name; `invoice_pdf` reads both and answers the file as base64 (RPC results are JSON).
The team (`view_billing`) reads any of its agency's invoices; a portal login only its own
client's.
"""

from __future__ import annotations

import base64
import json
import os
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.invoicing.invoices import find_invoice, invoice_with_lines
from billing.models import AgencyFact
from kit import permissions
from kit.context import PORTAL, Context
from kit.errors import NotFound
from kit.money import Money

# The PDF core font (Helvetica) draws Latin-1 and costs nothing to embed: an invoice is rendered
# in tens of milliseconds. An invoice with other characters (client names are not all Latin-1)
# uses a Unicode TrueType font when the system has one (parsing and subsetting it takes most of
# a second), else the core font with the characters it cannot draw replaced.
UNICODE_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
STATUS_WORDS = {"open": "Open", "paid": "Paid", "failed": "Payment failed", "void": "Void"}
PAID_METHOD_WORDS = {
    "check": "check",
    "cash": "cash",
    "bank_transfer": "bank transfer",
    "card": "card",
    "other": "other",
}


def filename(invoice: dict) -> str:
    return f"invoice-{invoice['number']}.pdf"


def amount_text(value: dict) -> str:
    return Money(value["amount"], value["currency"]).format()


def hours_text(minutes: int | None) -> str:
    if minutes is None:
        return ""
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest:02d}"


def period_text(start: str | None, end: str | None) -> str:
    if start and end and start != end:
        return f"{start} to {end}"
    return start or ""


def needs_unicode(invoice: dict, agency_name: str) -> bool:
    """Whether any text of the invoice is beyond what the core font draws (Latin-1)."""
    try:
        json.dumps([invoice, agency_name], ensure_ascii=False).encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


class _Document(FPDF):
    def __init__(self, unicode: bool) -> None:
        super().__init__(format="A4")
        self.unicode = unicode and all(os.path.exists(path) for path in UNICODE_FONTS)
        if self.unicode:
            self.add_font("Body", "", UNICODE_FONTS[0])
            self.add_font("Body", "B", UNICODE_FONTS[1])
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title("Invoice")

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def style(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_of_text(self, text: Any, size: float = 10, bold: bool = False, align="L") -> None:
        self.style(size, bold)
        self.cell(
            0, size * 0.6, self.text_of(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def render_invoice(invoice: dict, agency_name: str) -> bytes:
    """The invoice as PDF bytes: agency, client, number, dates, status, lines, total and what
    happened to it (paid, failed, void)."""
    pdf = _Document(unicode=needs_unicode(invoice, agency_name))
    pdf.set_title(pdf.text_of(f"Invoice {invoice['number']}"))
    pdf.set_author(pdf.text_of(agency_name))
    pdf.add_page()

    pdf.line_of_text(agency_name or "Invoice", size=16, bold=True)
    pdf.ln(2)
    pdf.line_of_text(f"Invoice {invoice['number']}", size=20, bold=True)
    pdf.ln(4)
    facts = [
        ("Billed to", invoice["client"]["name"]),
        ("Invoice number", str(invoice["number"])),
        ("Issued on", invoice["issued_on"]),
        ("Due on", invoice["due_on"]),
        ("Payment method", invoice["payment_method"]),
        ("Status", STATUS_WORDS.get(invoice["status"], invoice["status"])),
    ]
    for label, value in facts:
        pdf.style(10, bold=True)
        pdf.cell(40, 6, pdf.text_of(label))
        pdf.style(10)
        pdf.cell(0, 6, pdf.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(6)

    pdf.style(9)
    with pdf.table(
        col_widths=(34, 62, 44, 14, 36),
        text_align=("LEFT", "LEFT", "LEFT", "RIGHT", "RIGHT"),
        line_height=6,
        first_row_as_headings=True,
    ) as table:
        header = table.row()
        for title in ("Service", "Description", "Period", "Hours", "Amount"):
            header.cell(title)
        for line in invoice.get("lines", []):
            row = table.row()
            row.cell(pdf.text_of(line["service_name"]))
            row.cell(pdf.text_of(line["description"]))
            row.cell(pdf.text_of(period_text(line["period_start"], line["period_end"])))
            row.cell(hours_text(line["minutes"]))
            row.cell(pdf.text_of(amount_text(line["amount"])))
    pdf.ln(3)
    pdf.line_of_text(f"Total: {amount_text(invoice['total'])}", size=12, bold=True, align="R")
    pdf.ln(4)

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
        pdf.multi_cell(0, 5, pdf.text_of(invoice["note"]), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def agency_name(session: Session, ctx: Context) -> str:
    found = session.scalar(select(AgencyFact.name).where(AgencyFact.agency_id == ctx.agency))
    return found or ""


def invoice_pdf(session: Session, ctx: Context, invoice_id: Any) -> dict:
    """`{"filename", "content_base64"}` of the invoice's PDF; a portal login reads only its own
    client's invoices (another client's is NotFound, as another agency's)."""
    if ctx.kind == PORTAL:
        invoice = find_invoice(session, ctx, invoice_id)
        if not ctx.client_id or str(invoice.client_id) != str(ctx.client_id):
            raise NotFound("No such invoice.")
    else:
        ctx.require(permissions.VIEW_BILLING)
        invoice = find_invoice(session, ctx, invoice_id)
    data = invoice_with_lines(session, invoice)
    content = render_invoice(data, agency_name(session, ctx))
    return {"filename": filename(data), "content_base64": base64.b64encode(content).decode("ascii")}
