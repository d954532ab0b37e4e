"""The platform's invoice to an agency as a PDF, read back as text: who, what, how much, and
names beyond Latin-1 drawn rather than failing the download."""

from __future__ import annotations

import io

from pypdf import PdfReader

from billing.subscription.documents import invoice_pdf

INVOICE = {
    "number": 12,
    "description": "Renewal",
    "plan": {"code": "growth", "name": "Growth"},
    "users": 3,
    "unit_price": {"amount": 2900, "currency": "USD"},
    "days": 17,
    "amount": {"amount": 4930, "currency": "USD"},
    "period_start": "2026-11-13",
    "period_end": "2026-12-13",
    "issued_on": "2026-11-29",
    "status": "paid",
}


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_platform_invoice_pdf_says_who_what_and_how_much():
    content = invoice_pdf(INVOICE, "Acme Agency")
    assert content.startswith(b"%PDF-")
    text = text_of(content)
    assert "Agency Platform" in text and "Invoice 12" in text and "Acme Agency" in text
    assert "2026-11-29" in text and "Paid" in text
    assert "Renewal: Growth, 2026-11-13 to 2026-12-13 (17 of 30 days)" in " ".join(text.split())
    assert "29.00 USD" in text and "Total: 49.30 USD" in text


def test_an_agency_name_beyond_latin_1_is_drawn():
    name = "Łódź Studio \u2013 Ωmega"
    assert name in text_of(invoice_pdf(INVOICE, name))
