"""Team Invitations: the client portal invitations still waiting for an answer, with Resend and
Cancel."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.auth import permission_required
from gateway.rpc import services

bp = Blueprint("invitations", __name__, url_prefix="/invitations")

STATUSES = ("pending", "expired", "accepted", "cancelled")


@bp.get("/")
@permission_required("view_clients")
def index():
    """Pending invitations (or another status chosen in the tabs)."""
    status = request.args.get("status") if request.args.get("status") in STATUSES else "pending"
    return render_template(
        "invitations/index.html",
        title="Team invitations",
        invitations=services.clients.list_invitations(status=status),
        status=status,
        statuses=STATUSES,
    )


@bp.post("/<invitation_id>/resend")
@permission_required("create_clients")
def resend(invitation_id: str):
    """A fresh link by e-mail; the old one stops working."""
    invitation = services.clients.resend_invitation(invitation_id)
    flash(f"Invitation sent again to {invitation['email']}.", "success")
    return redirect(url_for(".index"))


@bp.post("/<invitation_id>/cancel")
@permission_required("create_clients")
def cancel(invitation_id: str):
    """The link stops working."""
    invitation = services.clients.cancel_invitation(invitation_id)
    flash(f"Invitation to {invitation['email']} cancelled.", "success")
    return redirect(url_for(".index"))
