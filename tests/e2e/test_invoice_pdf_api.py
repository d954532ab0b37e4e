"""The invoice PDF through the running system: a download whose text is the invoice, for those
who see billing only."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.e2e.test_billing_api import issued_invoice
from tests.support.api import assert_error
from tests.support.clients import team_member

pytestmark = pytest.mark.e2e


def test_invoice_pdf_downloads_with_number_client_lines_and_total(new_agency):
    owner, stranger = new_agency(), new_agency()
    client, invoice = issued_invoice(owner, rate=98765)
    answer = owner.get(f"/invoices/{invoice['id']}/pdf", expect=200)
    assert answer.headers["Content-Type"] == "application/pdf"
    disposition = answer.headers["Content-Disposition"]
    assert disposition == f'attachment; filename="invoice-{invoice["number"]}.pdf"'
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.content)).pages)
    lines = owner.get(f"/invoices/{invoice['id']}", expect=200).json()["lines"]
    assert f"Invoice {invoice['number']}" in text
    assert client["name"] in text
    assert lines[0]["service_name"] in text
    assert "987.65 USD" in text

    assert_error(stranger.get(f"/invoices/{invoice['id']}/pdf"), 404, "not_found")
    member = team_member(owner, "Member")  # view_clients only
    assert_error(member.get(f"/invoices/{invoice['id']}/pdf"), 403, "permission_denied")
