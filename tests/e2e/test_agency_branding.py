"""The agency's brand (Settings > Agency): its colour and logo reach its clients, in the portal's
header and buttons and in the portal invitation e-mail, through the running system."""

from __future__ import annotations

import uuid

import pytest

from kit.testing import png_bytes
from tests.support.api import assert_error, unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.e2e


def test_the_brand_colour_and_logo_reach_the_portal_and_the_invitation(new_agency, mailbox):
    owner = new_agency(agency_name="Teal Studio")
    agency = owner.patch("/agency", json={"brand_color": "#0F766E"}, expect=200).json()
    assert agency["branding"]["color"] == "#0f766e"
    logo = png_bytes(rgb=(15, 118, 110))
    brand = owner.put(
        "/agency/logo", files={"file": ("logo.png", logo, "image/png")}, expect=200
    ).json()
    assert brand["has_logo"]
    assert owner.get("/agency/logo", expect=200).content == logo

    client = owner.post("/clients", json={"name": f"Client {uuid.uuid4().hex[:6]}"}, expect=201)
    email = unique_email("branded")
    owner.post(
        f"/clients/{client.json()['id']}/contacts",
        json={"name": "Bea Branded", "email": email, "invite": True},
        expect=201,
    )
    invitation = mailbox.wait_for(email, "client portal", timeout=20)
    assert "#0f766e" in invitation.html and "Teal Studio</span>" in invitation.html

    portal = portal_session(owner, mailbox, email)
    page = portal.http.get(f"{portal.base_url}/portal/", timeout=30)
    assert page.status_code == 200
    assert 'data-test="brand-style"' in page.text and "--bs-primary: #0f766e" in page.text
    assert 'data-test="brand-name">Teal Studio<' in page.text
    # The contact sees its agency's logo; anyone signed out does not.
    assert portal.http.get(f"{portal.base_url}/brand/logo", timeout=30).content == logo
    signed_out = owner.anonymous().http.get(
        f"{owner.base_url}/brand/logo", timeout=30, allow_redirects=False
    )
    assert signed_out.status_code in (302, 401) and signed_out.content != logo


def test_a_bad_colour_or_a_file_that_is_no_picture_is_refused_and_changes_nothing(new_agency):
    owner = new_agency()
    error = assert_error(owner.patch("/agency", json={"brand_color": "teal"}), 422)
    assert "brand_color" in error["fields"]
    not_png = ("logo.png", b"GIF89a" + b"\x00" * 40, "image/png")
    error = assert_error(owner.put("/agency/logo", files={"file": not_png}), 422)
    assert "logo" in error["fields"]
    brand = owner.get("/agency", expect=200).json()["branding"]
    assert (brand["color"], brand["has_logo"]) == (None, False)
