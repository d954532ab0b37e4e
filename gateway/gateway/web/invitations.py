"""Team Invitations: the client portal invitations still waiting for an answer (or of another
status), a page at a time, with Resend and Cancel."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.auth import permission_required
from gateway.rpc import services
from gateway.web import client_forms
from gateway.web.forms import done
from kit import permissions, vocabulary

bp = Blueprint("invitations", __name__, url_prefix="/invitations")


@bp.get("/")
@permission_required(permissions.VIEW_CLIENTS)
def index():
    """Pending invitations (or another status chosen in the tabs)."""
    status = (
        request.args.get("status")
        if request.args.get("status") in vocabulary.INVITATION_STATUSES
        else "pending"
    )
    return render_template(
        "invitations/index.html",
        title="Team invitations",
        page=services.clients.list_invitations(
            status=status, page=client_forms.page_number(), per_page=client_forms.PER_PAGE
        ),
        status=status,
        statuses=vocabulary.INVITATION_STATUSES,
        page_url=client_forms.page_url,
    )


@bp.post("/<invitation_id>/resend")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def resend(invitation_id: str):
    """A fresh link by e-mail; the old one stops working."""
    invitation = services.clients.resend_invitation(invitation_id)
    return done(f"Invitation sent again to {invitation['email']}.", _back())


@bp.post("/<invitation_id>/cancel")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def cancel(invitation_id: str):
    """The link stops working."""
    invitation = services.clients.cancel_invitation(invitation_id)
    return done(f"Invitation to {invitation['email']} cancelled.", _back())


def _back() -> str:
    """The invitations page the action was taken on (its status tab and page)."""
    return client_forms.safe_next(url_for(".index"))
