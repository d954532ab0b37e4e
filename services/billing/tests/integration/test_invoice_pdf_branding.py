"""The invoice PDF in the agency's brand: its colour (kept from identity's `agency_updated`) in
the header band and its logo (asked of identity over RPC when the PDF is made); an unbranded
agency's invoice, and any invoice while identity does not answer, still renders."""

import base64
import io
import uuid

from pypdf import PdfReader
from sqlalchemy.orm import Session

from billing.facts.agencies import remember_agency
from billing.models import AgencyFact, ClientFact
from kit.testing import png
from kit.testing import signed_up_owner as sign_up


def fact(engine, model, key):
    with Session(engine) as session:
        return session.get(model, uuid.UUID(key))


def brand_color_of(engine, agency_id) -> str | None:
    known = fact(engine, AgencyFact, agency_id)
    return known.brand_color if known else "(not known yet)"


def first_page(answer: dict):
    return PdfReader(io.BytesIO(base64.b64decode(answer["content_base64"]))).pages[0]


def drawing_of(page) -> str:
    return page.get_contents().get_data().decode("latin-1")


def test_a_branded_agencys_invoice_shows_its_logo_and_colour(
    neighbours, billing, engine, eventually
):
    identity, clients = neighbours
    owner = sign_up(identity)
    identity.update_agency(owner, name="Blue Fox Studio", brand_color="#0066CC")
    identity.set_agency_logo(owner, png())
    assert eventually(lambda: brand_color_of(engine, owner["agency_id"]) == "#0066cc")
    client = clients.create_client(owner, "Globex")
    assert eventually(lambda: fact(engine, ClientFact, client["id"]))
    seo = billing.add_service(owner, "SEO audit")
    invoice = billing.charge_now(owner, client["id"], seo["id"], 12000)

    page = first_page(billing.invoice_pdf(owner, invoice["id"]))
    assert len(page.images) == 1  # the logo
    assert "0 0.4 0.8 rg" in drawing_of(page)  # the brand colour's band
    assert "Blue Fox Studio" in page.extract_text()

    identity.update_agency(owner, brand_color="")
    identity.set_agency_logo(owner, None)
    assert eventually(lambda: brand_color_of(engine, owner["agency_id"]) is None)
    page = first_page(billing.invoice_pdf(owner, invoice["id"]))
    assert not page.images
    assert "0 0.4 0.8 rg" not in drawing_of(page)
    assert "Blue Fox Studio" in page.extract_text() and "120.00 USD" in page.extract_text()


def test_the_invoice_renders_without_the_logo_while_identity_does_not_answer(
    billing, engine, ctx, known_client
):
    with Session(engine) as session, session.begin():
        remember_agency(session, ctx.agency, name="Acme Agency", brand_color="#aa0000")
    client = known_client(ctx)
    team = ctx.to_dict()
    seo = billing.add_service(team, "SEO")
    invoice = billing.charge_now(team, client, seo["id"], 5000)
    page = first_page(billing.invoice_pdf(team, invoice["id"]))  # no identity service running
    assert not page.images
    assert "0.6667 0 0 rg" in drawing_of(page)
    assert "Acme Agency" in page.extract_text()
