"""The agency's brand (a colour and a logo), set in Settings > Agency and shown to its clients:
in the client portal, in the e-mails they get and on invoices (billing keeps it from the
`agency_updated` event).

Anyone of the agency may read the brand (its team, its portal contacts, the other services);
only `manage_settings` changes it.
"""

from __future__ import annotations

import base64
import re

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from identity.models import Agency
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, ValidationError
from kit.images import decode_image
from kit.outbox import record_event
from kit.permissions import MANAGE_SETTINGS

COLOR = re.compile(r"^#[0-9a-fA-F]{6}$")


def branding_dict(agency: Agency) -> dict:
    """What a page, an e-mail or an invoice needs to show the brand (the logo by its URL)."""
    return {
        "agency_name": agency.name,
        "color": agency.brand_color,
        "has_logo": agency.logo_content_type is not None,
        "logo_updated_at": agency.logo_updated_at.isoformat() if agency.logo_updated_at else None,
    }


def clean_color(value) -> str | None:
    """`#rrggbb` (lower-cased); blank clears the colour."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str) or not COLOR.match(value.strip()):
        raise ValidationError(
            "The brand colour must be a hex colour like #0f766e.",
            {"brand_color": "Give a colour as #rrggbb, e.g. #0f766e."},
        )
    return value.strip().lower()


def _agency(session: Session, ctx: Context, with_logo: bool = False) -> Agency:
    query = select(Agency).where(Agency.id == ctx.agency)
    if with_logo:
        query = query.options(undefer(Agency.logo_data))
    agency = session.scalar(query)
    if agency is None:
        raise NotFound("No such agency.")
    return agency


def agency_changed(session: Session, ctx: Context, agency: Agency) -> None:
    """The one event of every change to the agency's profile or brand."""
    record_event(
        session,
        ctx,
        "agency_updated",
        {"name": agency.name, "timezone": agency.timezone, "branding": branding_dict(agency)},
    )


def get_branding(session: Session, ctx: Context) -> dict:
    """The brand of the caller's agency (team, portal contact or a service)."""
    return branding_dict(_agency(session, ctx))


def set_logo(session: Session, ctx: Context, logo_base64: str | None) -> dict:
    """Set (a JPG or PNG of at most 2 MB, checked by content) or, with None, remove the logo."""
    ctx.require(MANAGE_SETTINGS)
    agency = _agency(session, ctx, with_logo=True)
    if logo_base64 is None:
        agency.logo_data = agency.logo_content_type = None
    else:
        agency.logo_data, agency.logo_content_type = decode_image(logo_base64, "logo")
    agency.logo_updated_at = utcnow()
    agency_changed(session, ctx, agency)
    return branding_dict(agency)


def get_logo(session: Session, ctx: Context) -> dict:
    """`{content_type, data_base64, updated_at}` of the caller's agency's logo; NotFound without."""
    agency = _agency(session, ctx, with_logo=True)
    if agency.logo_data is None:
        raise NotFound("The agency has no logo.")
    return {
        "content_type": agency.logo_content_type,
        "data_base64": base64.b64encode(agency.logo_data).decode(),
        "updated_at": agency.logo_updated_at.isoformat() if agency.logo_updated_at else "",
    }
