"""The agency's brand (colour and logo, from identity) where its clients see it: the portal's
header and buttons. `brand()` is fetched at most once per page; the logo is served to the team
and to the agency's own portal contacts."""

from __future__ import annotations

import logging
import re

from flask import Blueprint, g

from gateway import auth
from gateway.rpc import services
from gateway.uploads import picture_response
from kit.errors import Unauthenticated

log = logging.getLogger(__name__)

bp = Blueprint("branding", __name__)

HEX = re.compile(r"^#[0-9a-f]{6}$")


def brand() -> dict | None:
    """The signed-in principal's agency brand (`identity.get_branding`), cached for the request;
    None when nobody is signed in or identity cannot say (the page then shows the default)."""
    if "brand" not in g:
        g.brand = None
        if auth.principal() is not None and not auth.is_api_request():
            try:
                g.brand = services.identity.get_branding()
            except Exception as exc:  # the page shows the default look rather than failing
                log.warning("no brand for the page: %s", getattr(exc, "message", exc))
    return g.brand


def brand_colors(color: str | None) -> dict | None:
    """The CSS values a brand colour needs: itself, as `r, g, b`, a darker shade for hover, and
    a text colour readable on it."""
    if not color or not HEX.match(color):
        return None
    r, g_, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    darker = "#" + "".join(f"{int(c * 0.85):02x}" for c in (r, g_, b))
    luminance = 0.2126 * r + 0.7152 * g_ + 0.0722 * b
    return {
        "color": color,
        "rgb": f"{r}, {g_}, {b}",
        "hover": darker,
        "text": "#000000" if luminance > 160 else "#ffffff",
    }


@bp.app_context_processor
def brand_context() -> dict:
    return {"agency_brand": brand, "brand_colors": brand_colors}


@bp.get("/brand/logo")
def logo():
    """The signed-in principal's agency logo (team user or portal contact)."""
    if auth.principal() is None:
        raise Unauthenticated("Please log in.")
    return picture_response(services.identity.get_agency_logo())
