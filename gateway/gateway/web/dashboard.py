"""The team's home page: the agency at a glance and where to go next.

Revenue charts arrive with the reporting service; until then it shows the plan, the team and
the trial.
"""

from __future__ import annotations

from flask import Blueprint, render_template

from gateway.auth import can, login_required
from gateway.rpc import services
from gateway.web.shell import current_agency
from kit import permissions
from kit.errors import DomainError

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index():
    """Welcome, plan and trial, team size, quick links."""
    try:
        entitlements = services.identity.get_entitlements()
    except DomainError:
        entitlements = None
    clients = None
    if can(permissions.VIEW_CLIENTS):
        clients = _client_count()
    return render_template(
        "dashboard.html",
        title="Dashboard",
        agency=current_agency(),
        entitlements=entitlements,
        clients=clients,
    )


def _client_count() -> int | None:
    """Active clients, when the clients service can say; the card copes without."""
    try:
        page = services.clients.list_clients(status="active", page=1, per_page=1)
    except Exception:  # the clients service is another area's: its absence must not break home
        return None
    if isinstance(page, dict):
        return page.get("total")
    return None
