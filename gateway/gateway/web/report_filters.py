"""The date range and client filter of the Dashboard and the Reports pages: presets resolved on
the agency's today, a custom range, and the clients to choose from."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import request

from gateway.auth import can
from gateway.rpc import services
from gateway.web import client_forms
from gateway.web.shell import current_agency
from kit import permissions
from kit.errors import DomainError, NotFound

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "last_30_days": "Last 30 days",
    "this_quarter": "This quarter",
    "this_year": "This year",
    "last_12_months": "Last 12 months",
    "custom": "Custom range",
}
DEFAULT_PRESET = "last_12_months"


def agency_today() -> date:
    agency = current_agency() or {}
    try:
        zone = ZoneInfo(agency.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return datetime.now(UTC).astimezone(zone).date()


def preset_range(preset: str, today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    if preset == "this_month":
        return first, today
    if preset == "last_month":
        end = first - timedelta(days=1)
        return end.replace(day=1), end
    if preset == "last_30_days":
        return today - timedelta(days=29), today
    if preset == "this_quarter":
        return first.replace(month=(today.month - 1) // 3 * 3 + 1), today
    if preset == "this_year":
        return today.replace(month=1, day=1), today
    # last 12 months: the 1st of the month eleven months back
    month = today.month - 11
    year = today.year + (month - 1) // 12
    return date(year, (month - 1) % 12 + 1, 1), today


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def current_filters() -> dict:
    """The filters of this request: `preset`, `date_from`, `date_to` (ISO), `client_id`."""
    preset = request.args.get("preset") or ""
    given_from, given_to = _date(request.args.get("from")), _date(request.args.get("to"))
    if preset not in PRESETS:
        preset = "custom" if (given_from or given_to) else DEFAULT_PRESET
    if preset == "custom":
        date_to = given_to or agency_today()
        date_from = given_from or date_to.replace(day=1)
        if date_from > date_to:
            date_from, date_to = date_to, date_from
    else:
        date_from, date_to = preset_range(preset, agency_today())
    return {
        "preset": preset,
        "date_from": date_from.isoformat(),
        "date_to": date_to.isoformat(),
        "client_id": request.args.get("client_id") or "",
        "sort": request.args.get("sort") or "",
        "group": request.args.get("group") or "",
    }


def client_choices() -> list[dict]:
    """Clients to filter by (every live one, by name), when the user may see clients."""
    try:
        return client_forms.client_choices()
    except DomainError:  # another area's service: the filter copes without
        return []


def client_figures(client_id: str) -> dict | None:
    """A client's revenue, open balance, recent invoices and usage for its profile, when the
    user may see reports; None when not, or while reporting cannot say."""
    if not can(permissions.VIEW_REPORTS):
        return None
    try:
        return services.reporting.client_profile(client_id)
    except NotFound:  # reporting has not heard of the client yet: nothing billed
        return {"empty": True}
    except DomainError:  # another area's service: the profile copes without
        return None
