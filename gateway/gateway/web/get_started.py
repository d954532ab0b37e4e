"""The dashboard's "Get started" checklist: the first things a new agency does, each ticked once
the agency has done it (asked of the services that know, once per page).

A step the caller may not do is left out; a service that cannot answer leaves its step unticked
rather than failing the dashboard.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, current_app, url_for

from gateway.auth import can
from gateway.rpc import services
from gateway.web.shell import current_agency
from kit import permissions

log = logging.getLogger(__name__)

bp = Blueprint("get_started", __name__)


def _asked(question: Callable[[], bool]) -> bool:
    try:
        return bool(question())
    except Exception as exc:  # another area's service: its absence must not break home
        log.warning("get started: a step could not be checked: %s", exc)
        return False


def _has_clients() -> bool:
    page = services.clients.list_clients(page=1, per_page=1)
    return isinstance(page, dict) and (page.get("total") or 0) > 0


def _has_team() -> bool:
    return len(services.identity.list_users()) > 1


def _has_token() -> bool:
    return len(services.identity.list_api_tokens()) > 0


def _zone_set() -> bool:
    agency = current_agency() or {}
    return bool(agency.get("timezone")) and agency.get("timezone") != "UTC"


def _branded() -> bool:
    agency = current_agency() or {}
    brand = agency.get("branding") or {}
    return bool(brand.get("color") or brand.get("has_logo"))


@bp.app_template_global("get_started_steps")
def get_started_steps() -> list[dict]:
    """The checklist for the signed-in user: `{"key","title","hint","url","done"}` each."""
    views = current_app.view_functions
    steps = []

    def step(key, title, hint, endpoint, done, permission=None, **args):
        if permission is not None and not can(permission):
            return
        if endpoint not in views:
            return
        steps.append(
            {
                "key": key,
                "title": title,
                "hint": hint,
                "url": url_for(endpoint, **args),
                "done": _asked(done),
            }
        )

    step(
        "client",
        "Add your first client",
        "Or import them from a CSV file",
        "clients.new",
        _has_clients,
        permissions.CREATE_CLIENTS,
    )
    step(
        "team",
        "Invite your team",
        "Give each person a role",
        "users.new",
        _has_team,
        permissions.MANAGE_USERS,
    )
    step(
        "timezone",
        "Set your agency's time zone",
        "Billing dates and times follow it",
        "settings.agency",
        _zone_set,
        permissions.MANAGE_SETTINGS,
    )
    step(
        "branding",
        "Add your logo and colour",
        "Your clients see them in the portal and in e-mails",
        "settings.agency",
        _branded,
        permissions.MANAGE_SETTINGS,
    )
    step(
        "token",
        "Connect your tools",
        "Create an API token",
        "settings.tokens",
        _has_token,
    )
    return steps
