"""The invoice PDF, read back as text: what the agency sends says who, what, how much and what
happened to it; only the agency's team and the client's own portal login read it."""

import base64
import io
import uuid
from dataclasses import replace
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from billing.catalog import assignments, services, time_notes
from billing.facts.agencies import remember_agency
from billing.invoicing import charges, invoices, pdf, runs
from billing.settings import Settings
from kit import permissions
from kit.context import PORTAL
from kit.errors import NotFound, PermissionDenied

SETTINGS = Settings(payment_terms_days=14)


def text_of(answer: dict) -> str:
    reader = PdfReader(io.BytesIO(base64.b64decode(answer["content_base64"])))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def agency(session, ctx):
    with session.begin():
        remember_agency(session, ctx.agency, name="Acme Agency")


def test_invoice_pdf_shows_number_client_lines_and_total(write, read, ctx, agency, known_client):
    client = known_client(ctx, name="Zoë Bakery")
    seo = write(services.add_service, ctx, "SEO audit")["id"]
    invoice = write(
        charges.charge_now, ctx, client, seo, 123456, SETTINGS, note="Rush job in March"
    )
    answer = read(pdf.invoice_pdf, ctx, invoice["id"])
    assert answer["filename"] == f"invoice-{invoice['number']}.pdf"
    text = text_of(answer)
    assert "Acme Agency" in text
    assert f"Invoice {invoice['number']}" in text
    assert "Zoë Bakery" in text
    assert "SEO audit" in text
    assert "1,234.56 USD" in text
    assert invoice["issued_on"] in text and invoice["due_on"] in text
    assert "Open" in text


def test_hourly_invoice_pdf_lists_each_time_note_with_hours(write, read, ctx, agency, known_client):
    today = date.today()
    last_month_end = today.replace(day=1) - timedelta(days=1)
    start = last_month_end.replace(day=1)
    client = known_client(ctx)
    dev = write(services.add_service, ctx, "Development")["id"]
    hourly = write(
        assignments.assign_service, ctx, dev, client, "check", "hourly", start.isoformat(), 9000
    )
    write(time_notes.log_time, ctx, hourly["id"], start.isoformat(), 90, "Fixed the cart")
    write(time_notes.log_time, ctx, hourly["id"], last_month_end.isoformat(), 30, "Deploy")
    write(runs.run_billing, ctx, today.isoformat(), SETTINGS)
    (issued,) = read(invoices.list_invoices, ctx)["items"]
    text = text_of(read(pdf.invoice_pdf, ctx, issued["id"]))
    assert "Fixed the cart" in text and "1:30" in text
    assert "Deploy" in text and "0:30" in text
    assert "180.00 USD" in text  # 2 hours at 90.00


def test_paid_and_void_invoices_say_so(write, read, ctx, agency, known_client):
    seo = write(services.add_service, ctx, "SEO")["id"]
    paid = write(charges.charge_now, ctx, known_client(ctx), seo, 5000, SETTINGS)
    write(invoices.mark_paid, ctx, paid["id"], "bank_transfer", "TR-778")
    text = text_of(read(pdf.invoice_pdf, ctx, paid["id"]))
    assert "Paid on" in text and "bank transfer" in text and "TR-778" in text
    void = write(charges.charge_now, ctx, known_client(ctx), seo, 5000, SETTINGS)
    write(invoices.void_invoice, ctx, void["id"])
    assert "Void since" in text_of(read(pdf.invoice_pdf, ctx, void["id"]))


def test_invoice_pdf_needs_view_billing_or_the_clients_own_portal_login(
    write, read, ctx, make_ctx, agency, known_client
):
    client = known_client(ctx)
    seo = write(services.add_service, ctx, "SEO")["id"]
    invoice = write(charges.charge_now, ctx, client, seo, 5000, SETTINGS)
    no_billing = make_ctx(ctx.agency_id, permissions=frozenset({permissions.VIEW_CLIENTS}))
    with pytest.raises(PermissionDenied):
        read(pdf.invoice_pdf, no_billing, invoice["id"])
    own_portal = replace(ctx, kind=PORTAL, permissions=frozenset(), client_id=client)
    assert read(pdf.invoice_pdf, own_portal, invoice["id"])["filename"]
    other_portal = replace(own_portal, client_id=str(uuid.uuid4()))
    with pytest.raises(NotFound):
        read(pdf.invoice_pdf, other_portal, invoice["id"])
    with pytest.raises(NotFound):
        read(pdf.invoice_pdf, make_ctx(), invoice["id"])  # another agency


def test_names_beyond_latin_1_are_drawn_with_a_unicode_font(write, read, ctx, agency, known_client):
    name = "Łódź Studio \u2013 Ωmega"  # an en dash and a Greek letter: beyond Latin-1
    client = known_client(ctx, name=name)
    seo = write(services.add_service, ctx, "Référencement")["id"]
    invoice = write(charges.charge_now, ctx, client, seo, 2500, SETTINGS)
    text = text_of(read(pdf.invoice_pdf, ctx, invoice["id"]))
    assert name in text and "Référencement" in text
