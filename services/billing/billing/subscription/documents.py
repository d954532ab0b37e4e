"""A platform invoice as a one-page PDF (fpdf2's built-in Helvetica: Latin-1 text only, so other
characters are replaced rather than failing the download)."""

from __future__ import annotations

from fpdf import FPDF

PLATFORM_NAME = "Agency Platform"


def _text(value) -> str:
    return str(value if value is not None else "").encode("latin-1", "replace").decode("latin-1")


def _money(value: dict) -> str:
    return f"{value['amount'] / 100:,.2f} {value['currency']}"


def invoice_pdf(invoice: dict, agency_name: str) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(_text(f"{PLATFORM_NAME} invoice {invoice['number']}"))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 18)
    pdf.cell(0, 10, _text(PLATFORM_NAME), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.cell(0, 7, _text(f"Invoice {invoice['number']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _text(f"Issued {invoice['issued_on']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _text(f"Billed to {agency_name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 7, _text(f"Status: {invoice['status']}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 11)
    widths = (80, 25, 40, 45)
    for width, title in zip(
        widths, ("Description", "Users", "Price per user", "Amount"), strict=True
    ):
        pdf.cell(width, 8, title, border="B")
    pdf.ln()
    pdf.set_font("Helvetica", "", 11)
    what = (
        f"{invoice['description']}: {invoice['plan']['name']}, "
        f"{invoice['period_start']} to {invoice['period_end']}"
    )
    if invoice["days"] != 30:
        what += f" ({invoice['days']} of 30 days)"
    pdf.multi_cell(widths[0], 7, _text(what), new_x="RIGHT", new_y="TOP")
    pdf.cell(widths[1], 7, str(invoice["users"]))
    pdf.cell(widths[2], 7, _money(invoice["unit_price"]))
    pdf.cell(widths[3], 7, _money(invoice["amount"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(10)
    pdf.set_font("Helvetica", "B", 12)
    pdf.cell(145, 8, "Total")
    pdf.cell(45, 8, _money(invoice["amount"]), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
