"""The client portal under /portal: a contact's own login (kind "contact"), invitation
acceptance, password reset, their client's profile and their requests.

A portal principal reaches only its own client: the clients service takes the client from the
call context, never from the page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.auth import portal_login_required, principal, sign_out, start_session
from gateway.rpc import services
from gateway.uploads import picture_response
from gateway.web import client_forms
from gateway.web.forms import done
from kit.errors import (
    Conflict,
    NotFound,
    RateLimited,
    Unauthenticated,
    ValidationError,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.route("/login", methods=["GET", "POST"])
def login():
    """A contact signs in with the password chosen when accepting the invitation."""
    email = request.form.get("email", "")
    if request.method == "POST":
        try:
            result = services.identity.login(
                email, request.form.get("password", ""), request.remote_addr, kind="contact"
            )
        except (Unauthenticated, ValidationError, RateLimited) as exc:
            flash(exc.message, "danger")
            return render_template("portal/login.html", title="Client portal", email=email), 401
        start_session(result["session_token"])
        return redirect(client_forms.safe_next(url_for(".index")))
    if (principal() or {}).get("kind") == "contact":
        return redirect(url_for(".index"))
    return render_template("portal/login.html", title="Client portal", email=email)


@bp.post("/logout")
def logout():
    """End the portal session."""
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for(".login"))


def _same_password_twice() -> bool:
    """The two password boxes agree; if not, the page says so."""
    if request.form.get("password", "") == request.form.get("password_confirm", ""):
        return True
    flash("The two passwords differ; type the same password twice.", "danger")
    return False


def _invalid_invitation(problem: str | None):
    """The page for a link that leads to no invitation (used, cancelled, re-addressed)."""
    return render_template(
        "portal/accept.html", title="Invitation", invitation=None, problem=problem
    ), 404


def _invitation_or_none(token: str) -> tuple[dict | None, str | None]:
    try:
        return services.clients.get_invitation(token), None
    except (NotFound, ValidationError) as exc:
        return None, exc.message


@bp.route("/invitations/accept", methods=["GET", "POST"])
def accept_invitation():
    """Set a password (twice) for the invited contact, then sign them in."""
    token = request.values.get("token", "")
    invitation, problem = _invitation_or_none(token)
    if invitation is None:
        return _invalid_invitation(problem)
    if request.method == "POST":
        if _same_password_twice():
            try:
                accepted = services.clients.accept_invitation(
                    token, request.form.get("password", "")
                )
            except NotFound as exc:  # used, cancelled or re-addressed meanwhile
                return _invalid_invitation(exc.message)
            except (ValidationError, Conflict) as exc:
                flash(exc.message, "danger")
            else:
                # the new login comes signed in: no second, throttled, password login
                start_session(accepted["session_token"])
                return done(f"Welcome, {invitation['contact_name']}!", url_for(".index"))
        return render_template(
            "portal/accept.html", title="Invitation", invitation=invitation, token=token
        ), 422
    return render_template(
        "portal/accept.html", title="Invitation", invitation=invitation, token=token
    )


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Send a reset link; the answer is the same whether or not the e-mail is known."""
    if request.method == "POST":
        services.identity.request_password_reset(request.form.get("email", ""), kind="contact")
        flash("If that e-mail belongs to a portal login, a reset link is on its way.", "info")
        return redirect(url_for(".login"))
    return render_template("portal/forgot.html", title="Forgot password")


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """Choose a new password from the e-mailed link."""
    token = request.values.get("token", "")
    if request.method == "POST":
        if _same_password_twice():
            try:
                services.identity.reset_password(token, request.form.get("password", ""))
            except (ValidationError, NotFound, Unauthenticated) as exc:
                flash(exc.message, "danger")
            else:
                return done("Your password is changed; sign in with it.", url_for(".login"))
        return render_template("portal/reset.html", title="New password", token=token), 422
    return render_template("portal/reset.html", title="New password", token=token)


@bp.get("/")
@portal_login_required
def index():
    """The contact's client: its profile and its requests."""
    return render_template(
        "portal/index.html",
        title="Client portal",
        client=services.clients.portal_get_client(),
        requests=services.clients.portal_list_requests(page=client_forms.page_number()),
    )


@bp.get("/logo")
@portal_login_required
def logo():
    """The portal contact's own client's logo."""
    return picture_response(services.clients.portal_get_logo())


@bp.route("/requests/new", methods=["GET", "POST"])
@portal_login_required
def new_request():
    """Ask the agency for something."""
    values = request.form
    if request.method == "POST":
        try:
            services.clients.portal_create_request(
                title=values.get("title", ""),
                description=values.get("description", ""),
                service_name=values.get("service_name") or None,
            )
        except ValidationError as exc:
            flash(exc.message, "danger")
            return render_template(
                "portal/request_form.html", title="New request", values=values, errors=exc.fields
            ), 422
        return done("Your request was sent to the agency.", url_for(".index"))
    return render_template("portal/request_form.html", title="New request", values={}, errors={})
