"""Signing up, logging in and out, forgotten passwords and accepting a user invitation."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway import auth
from gateway.api.schemas import (
    ForgotPasswordRequest,
    LoginRequest,
    ResetPasswordRequest,
    SignupConfirmRequest,
    SignupRequest,
)
from gateway.read_only import allowed_when_read_only
from gateway.redirects import local_path
from gateway.rpc import services
from gateway.web.forms import Form, done, form_failed, read_form, show_form
from kit.errors import DomainError, RateLimited, Unauthenticated

bp = Blueprint("auth", __name__)

FORGOT_SENT = (
    "If an account uses this e-mail address, we have sent it a link to reset the password. "
    "The link works for one hour."
)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect."""
    return local_path(target) or url_for("dashboard.index")


def _signed_in_team_user() -> bool:
    who = auth.principal()
    return bool(who) and who.get("kind") == "user"


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Start a 14-day trial: a link to create the agency is e-mailed (the same answer whether
    or not the address has an account)."""
    if _signed_in_team_user():
        return redirect(url_for("dashboard.index"))
    if request.method == "GET":
        return show_form("auth/signup.html", Form(), title="Start your free trial")
    form = read_form(SignupRequest())
    try:
        body = form.valid_data()
        services.identity.request_signup(**body)
    except DomainError as exc:
        return form_failed("auth/signup.html", form, exc, title="Start your free trial")
    return show_form("auth/signup.html", form, sent=body["email"], title="Check your e-mail")


@bp.route("/signup/confirm", methods=["GET", "POST"])
def confirm_signup():
    """The e-mailed link: a button creates the agency (a GET changes nothing, so a mail
    scanner that follows links does not use it up) and signs its owner in."""
    if request.method == "GET":
        return show_form("auth/signup_confirm.html", _token_form(), title="Create your agency")
    form = read_form(SignupConfirmRequest(), hidden=("token",))
    try:
        result = services.identity.confirm_signup(
            form.valid_data()["token"], ip=request.remote_addr
        )
    except DomainError as exc:
        return form_failed("auth/signup_confirm.html", form, exc, title="Create your agency")
    auth.start_session(result["session_token"])
    # The dashboard's heading says welcome: the flash says what happened, not a second welcome.
    days = result["agency"].get("trial_days_left")
    trial = f" Your {days}-day free trial starts today." if days else ""
    return done(f"{result['agency']['name']} is ready.{trial}", url_for("dashboard.index"))


@bp.route("/login", methods=["GET", "POST"])
@allowed_when_read_only
def login():
    """E-mail and password; a fresh session id at every login."""
    if request.method == "GET":
        if _signed_in_team_user():
            return redirect(_safe_next(request.args.get("next")))
        return show_form(
            "auth/login.html", Form({"next": request.args.get("next", "")}), title="Log in"
        )
    form = read_form(LoginRequest())
    try:
        body = form.valid_data()
        result = services.identity.login(body["email"], body["password"], request.remote_addr)
    except (Unauthenticated, RateLimited) as exc:
        # Wrong credentials or throttled: say so on the form, keep the e-mail typed.
        form.message = exc.message
        return render_template("auth/login.html", form=form, title="Log in"), exc.http_status
    except DomainError as exc:
        return form_failed("auth/login.html", form, exc, title="Log in")
    auth.start_session(result["session_token"])
    return redirect(_safe_next(form.values.get("next")))


@bp.post("/logout")
@allowed_when_read_only
def logout():
    """End the session here and in identity."""
    auth.sign_out()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the same answer whether or not the e-mail has an account."""
    if request.method == "GET":
        return show_form("auth/forgot_password.html", Form(), title="Reset your password")
    form = read_form(ForgotPasswordRequest())
    try:
        services.identity.request_password_reset(form.valid_data()["email"])
    except DomainError as exc:
        return form_failed("auth/forgot_password.html", form, exc, title="Reset your password")
    return show_form("auth/forgot_password.html", form, sent=True, title="Reset your password")


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """Choose a new password with the e-mailed token; then log in with it."""
    if request.method == "GET":
        return show_form("auth/new_password.html", _token_form(), **_reset_page())
    form = read_form(ResetPasswordRequest(), hidden=("token",))
    try:
        body = form.valid_data()
        services.identity.reset_password(body["token"], body["password"])
    except DomainError as exc:
        return form_failed(
            "auth/new_password.html", form, exc, **_reset_page(), aliases=_TOKEN_ALIASES
        )
    auth.end_session()
    return done("Your password is changed. Log in with it.", url_for("auth.login"))


@bp.route("/invitations/accept", methods=["GET", "POST"])
def accept_invitation():
    """An invited user chooses a password and is signed in."""
    if request.method == "GET":
        return show_form("auth/new_password.html", _token_form(), **_invitation_page())
    form = read_form(ResetPasswordRequest(), hidden=("token",))
    try:
        body = form.valid_data()
        result = services.identity.accept_user_invitation(body["token"], body["password"])
    except DomainError as exc:
        return form_failed(
            "auth/new_password.html", form, exc, **_invitation_page(), aliases=_TOKEN_ALIASES
        )
    auth.start_session(result["session_token"])
    return done(f"Welcome aboard, {result['principal']['name']}!", url_for("dashboard.index"))


@bp.route("/invitations/confirm", methods=["GET", "POST"])
def confirm_invitation():
    """A user added with a password confirms their (new) address and is signed in."""
    if request.method == "GET":
        return show_form("auth/confirm_address.html", _token_form(), title="Confirm your address")
    form = read_form(SignupConfirmRequest(), hidden=("token",))
    try:
        body = form.valid_data()
        result = services.identity.accept_user_invitation(body["token"])
    except DomainError as exc:
        return form_failed("auth/confirm_address.html", form, exc, title="Confirm your address")
    auth.start_session(result["session_token"])
    return done(f"Welcome aboard, {result['principal']['name']}!", url_for("dashboard.index"))


# identity names the new password `new_password` or `password` depending on the call.
_TOKEN_ALIASES = {"new_password": "password"}


def _token_form() -> Form:
    """The new-password form of an e-mailed link: its token kept in a hidden field."""
    return Form({"token": request.args.get("token", "")})


def _reset_page() -> dict:
    return {
        "title": "Choose a new password",
        "intro": "Choose a new password for your account. You will be logged out everywhere.",
        "button": "Set new password",
        "test_id": "reset-password",
    }


def _invitation_page() -> dict:
    return {
        "title": "Join your team",
        "intro": "You were invited to your agency's workspace. Choose a password to get started.",
        "button": "Set password and continue",
        "test_id": "accept-invitation",
    }
