"""The agency's brand: a colour and a logo set by whoever manages settings, read by anyone of
the agency (team, portal contacts, services), announced in `agency_updated` for billing."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import select

from identity import agencies, branding
from kit.context import PORTAL, Context
from kit.errors import NotFound, PermissionDenied, ValidationError
from kit.tables import OutboxEvent
from kit.testing import png


def last_agency_event(session):
    row = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.event_type == "agency_updated")
        .order_by(OutboxEvent.created_at.desc())
    ).first()
    return row.payload


def test_a_colour_and_a_logo_are_set_shown_and_announced(call, session, owner):
    call(agencies.update_agency, owner, brand_color="#0F766E")
    call(branding.set_logo, owner, png())

    brand = call(agencies.get_agency, owner)["branding"]
    assert brand["color"] == "#0f766e" and brand["has_logo"] and brand["agency_name"] == "Acme"
    logo = call(branding.get_logo, owner)
    assert logo["content_type"] == "image/png" and logo["data_base64"] == png()
    assert last_agency_event(session)["branding"]["color"] == "#0f766e"
    assert last_agency_event(session)["branding"]["has_logo"] is True


def test_a_portal_contact_reads_the_brand_of_its_own_agency(call, owner):
    call(agencies.update_agency, owner, brand_color="#112233")
    contact = Context(agency_id=owner.agency_id, principal_id=owner.principal_id, kind=PORTAL)
    assert call(branding.get_branding, contact)["color"] == "#112233"
    with pytest.raises(NotFound):
        call(branding.get_logo, contact)


def test_a_bad_colour_or_picture_is_a_field_error_and_changes_nothing(call, owner):
    with pytest.raises(ValidationError) as raised:
        call(agencies.update_agency, owner, brand_color="teal")
    assert "brand_color" in raised.value.fields
    with pytest.raises(ValidationError) as raised:
        call(branding.set_logo, owner, base64.b64encode(b"GIF89a not allowed here").decode())
    assert "logo" in raised.value.fields
    assert call(branding.get_branding, owner) == {
        "agency_name": "Acme",
        "color": None,
        "has_logo": False,
        "logo_updated_at": None,
    }


def test_leaving_the_colour_out_keeps_it_and_blank_clears_it(call, owner):
    call(agencies.update_agency, owner, brand_color="#112233")
    call(agencies.update_agency, owner, name="Acme Two")
    assert call(branding.get_branding, owner)["color"] == "#112233"
    call(agencies.update_agency, owner, brand_color="")
    assert call(branding.get_branding, owner)["color"] is None


def test_only_settings_managers_change_the_brand(call, owner, add_user):
    member, _ = add_user("mia@acme.test", "Member")
    with pytest.raises(PermissionDenied):
        call(branding.set_logo, member, png())
    with pytest.raises(PermissionDenied):
        call(agencies.update_agency, member, brand_color="#112233")
