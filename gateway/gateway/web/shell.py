"""What every team page's frame needs: the agency (name, plan, trial) for the trial banner.

Fetched at most once per HTML request, and only when a page is rendered for a signed-in team
user, never for API calls.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Blueprint, g, has_request_context, request

from gateway import auth
from gateway.rpc import services
from kit.errors import DomainError
from kit.money import Money

log = logging.getLogger(__name__)

bp = Blueprint("shell", __name__)


def current_agency() -> dict | None:
    """The signed-in user's agency (`identity.get_agency`), cached for the request."""
    if "agency" not in g:
        g.agency = None
        who = auth.principal()
        if who and who.get("kind") == "user" and not auth.is_api_request():
            try:
                g.agency = services.identity.get_agency()
            except DomainError as exc:
                # The page can do without its banner; it must not fail for it.
                log.warning("no agency for the page frame of %s: %s", request.path, exc.message)
    return g.agency


@bp.app_context_processor
def agency_context() -> dict:
    return {"current_agency": current_agency}


def _parse(value) -> datetime | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def agency_zone() -> ZoneInfo:
    """The signed-in team's agency time zone (UTC elsewhere: portal pages, e-mailed links)."""
    agency = current_agency() if has_request_context() else None
    try:
        return ZoneInfo((agency or {}).get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _local(moment: datetime) -> datetime:
    """A timestamp in the agency's time zone (a naive one is taken as UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(agency_zone())


# The one date format of the UI: every template shows dates with `date` and times with
# `datetime` (never a raw ISO string), so a page cannot show "2026-03-04" beside "Mar 4, 2026".
@bp.app_template_filter("date")
def format_date(value) -> str:
    """A date or timestamp as `Mar 4, 2026` (a timestamp on the agency's calendar); empty for
    none."""
    moment = _parse(value)
    if moment is None:
        return ""
    if (isinstance(value, str) and len(value.strip()) > 10) or isinstance(value, datetime):
        moment = _local(moment)
    return f"{moment:%b} {moment.day}, {moment.year}"


@bp.app_template_filter("datetime")
def format_datetime(value) -> str:
    """A timestamp as `Mar 4, 2026 14:05 CET`, in the agency's time zone; empty for none."""
    moment = _parse(value)
    if moment is None:
        return ""
    moment = _local(moment)
    return f"{moment:%b} {moment.day}, {moment.year} {moment:%H:%M} {moment.tzname()}"


@bp.app_template_filter("money")
def format_money(value) -> str:
    """`{"amount": 1900, "currency": "USD"}` (minor units) as `19.00 USD`."""
    if not isinstance(value, dict) or "amount" not in value:
        return ""
    return Money(int(value["amount"]), value.get("currency") or "USD").format()
