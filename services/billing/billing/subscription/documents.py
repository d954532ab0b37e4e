"""A platform invoice as a one-page PDF, in the layout of every invoice (billing/pdf_layout.py:
the core font for Latin-1 text, else a Unicode font, else the characters replaced rather than
failing the download)."""

from __future__ import annotations

from billing.pdf_layout import STATUS_WORDS, InvoiceLayout, amount_text

PLATFORM_NAME = "Agency Platform"


def invoice_pdf(invoice: dict, agency_name: str) -> bytes:
    pdf = InvoiceLayout(
        f"{PLATFORM_NAME} invoice {invoice['number']}", PLATFORM_NAME, (invoice, agency_name)
    )
    pdf.header_of(PLATFORM_NAME, invoice["number"])
    pdf.facts(
        [
            ("Billed to", agency_name),
            ("Invoice number", str(invoice["number"])),
            ("Issued on", invoice["issued_on"]),
            ("Status", STATUS_WORDS.get(invoice["status"], invoice["status"])),
        ]
    )
    what = (
        f"{invoice['description']}: {invoice['plan']['name']}, "
        f"{invoice['period_start']} to {invoice['period_end']}"
    )
    if invoice["days"] != 30:
        what += f" ({invoice['days']} of 30 days)"
    pdf.lines_table(
        ("Description", "Users", "Price per user", "Amount"),
        [
            (
                what,
                invoice["users"],
                amount_text(invoice["unit_price"]),
                amount_text(invoice["amount"]),
            )
        ],
        col_widths=(98, 20, 36, 36),
        text_align=("LEFT", "RIGHT", "RIGHT", "RIGHT"),
    )
    pdf.total(invoice["amount"])
    return pdf.to_bytes()
