"""The client portal under /portal: a contact's own login (kind "contact"), invitation
acceptance, password reset, their client's profile and their requests, each a conversation with
the agency (the agency's internal notes never reach it) with files.

A portal principal reaches only its own client: the clients service takes the client from the
call context, never from the page.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from gateway.api.request_schemas import (
    AcceptInvitationRequest,
    CommentCreateRequest,
    PortalLoginRequest,
    PortalRequestCreate,
)
from gateway.api.schemas import ForgotPasswordRequest, ResetPasswordRequest
from gateway.auth import portal_login_required, principal, sign_out, start_session
from gateway.read_only import allowed_when_read_only
from gateway.rpc import services
from gateway.uploads import TooLarge, attachment_files, attachment_response, picture_response
from gateway.web import client_forms
from gateway.web.forms import Form, done, form_failed, read_form, show_form
from kit.errors import (
    DomainError,
    NotFound,
    RateLimited,
    ServiceUnavailable,
    Unauthenticated,
    ValidationError,
)

bp = Blueprint("portal", __name__, url_prefix="/portal")


@bp.route("/login", methods=["GET", "POST"])
@allowed_when_read_only
def login():
    """A contact signs in with the password chosen when accepting the invitation."""
    if request.method == "GET":
        if (principal() or {}).get("kind") == "contact":
            return redirect(url_for(".index"))
        return show_form("portal/login.html", Form(), title="Client portal")
    form = read_form(PortalLoginRequest())
    try:
        body = form.valid_data()
        result = services.identity.login(
            body["email"], body["password"], request.remote_addr, kind="contact"
        )
    except (Unauthenticated, RateLimited) as exc:
        # Wrong credentials or throttled: say so on the form, keep the e-mail typed.
        form.message = exc.message
        return show_form("portal/login.html", form, title="Client portal"), exc.http_status
    except DomainError as exc:
        return form_failed("portal/login.html", form, exc, title="Client portal")
    start_session(result["session_token"])
    return redirect(client_forms.safe_next(url_for(".index")))


@bp.post("/logout")
@allowed_when_read_only
def logout():
    """End the portal session."""
    sign_out()
    flash("You are signed out.", "info")
    return redirect(url_for(".login"))


def _new_password(form: Form) -> dict:
    """The token and the new password of a form that asks for it twice."""
    body = form.valid_data()
    if body["password"] != request.form.get("password_confirm", ""):
        raise ValidationError(
            "The two passwords differ; type the same password twice.",
            {"password_confirm": "The two passwords differ; type the same password twice."},
        )
    return body


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
    context = {"title": "Invitation", "invitation": invitation}
    if request.method == "GET":
        return show_form("portal/accept.html", Form({"token": token}), **context)
    form = read_form(AcceptInvitationRequest(), hidden=("token",))
    try:
        body = _new_password(form)
        accepted = services.clients.accept_invitation(body["token"], body["password"])
    except NotFound as exc:  # used, cancelled or re-addressed meanwhile
        return _invalid_invitation(exc.message)
    except DomainError as exc:
        return form_failed("portal/accept.html", form, exc, **context)
    # the new login comes signed in: no second, throttled, password login
    start_session(accepted["session_token"])
    return done(f"Welcome, {invitation['contact_name']}!", url_for(".index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password():
    """Send a reset link; the answer is the same whether or not the e-mail is known."""
    if request.method == "GET":
        return show_form("portal/forgot.html", Form(), title="Forgot password")
    form = read_form(ForgotPasswordRequest())
    try:
        services.identity.request_password_reset(form.valid_data()["email"], kind="contact")
    except DomainError as exc:
        return form_failed("portal/forgot.html", form, exc, title="Forgot password")
    flash("If that e-mail belongs to a portal login, a reset link is on its way.", "info")
    return redirect(url_for(".login"))


@bp.route("/reset-password", methods=["GET", "POST"])
def reset_password():
    """Choose a new password from the e-mailed link."""
    if request.method == "GET":
        form = Form({"token": request.args.get("token", "")})
        return show_form("portal/reset.html", form, title="New password")
    form = read_form(ResetPasswordRequest(), hidden=("token",))
    try:
        body = _new_password(form)
        services.identity.reset_password(body["token"], body["password"])
    except (NotFound, Unauthenticated) as exc:  # a link used up or unknown
        form.message = exc.message
        return show_form("portal/reset.html", form, title="New password"), 422
    except DomainError as exc:
        return form_failed("portal/reset.html", form, exc, title="New password")
    return done("Your password is changed; sign in with it.", url_for(".login"))


@bp.get("/")
@portal_login_required
def index():
    """The contact's client: its profile, its requests, and its prepaid balance when its
    customer funds its usage (billing's NotFound otherwise)."""
    try:
        balance = services.billing.portal_balance()
    except NotFound:
        balance = None
    return render_template(
        "portal/index.html",
        title="Client portal",
        client=services.clients.portal_get_client(),
        requests=services.clients.portal_list_requests(page=client_forms.page_number()),
        balance=balance,
        balance_nav=balance is not None,
    )


@bp.get("/logo")
@portal_login_required
def logo():
    """The portal contact's own client's logo."""
    return picture_response(services.clients.portal_get_logo())


@bp.route("/requests/new", methods=["GET", "POST"])
@portal_login_required
def new_request():
    """Ask the agency for something, about one of the services the agency offers the client."""
    names = _service_names()
    page = {"title": "New request", "service_choices": names}
    if request.method == "GET":
        return show_form("portal/request_form.html", Form(), **page)
    form = read_form(PortalRequestCreate(), omit_blank=("service_name",))
    try:
        body = {**form.valid_data(), "attachments": _files()}
        if not names:
            body.pop("service_name", None)  # nothing to choose from: no service
        elif body.get("service_name") and body["service_name"] not in names:
            raise ValidationError(
                "Please correct the marked fields.",
                {"service_name": "Choose one of the services in the list."},
            )
        services.clients.portal_create_request(**body)
    except DomainError as exc:
        return form_failed("portal/request_form.html", form, exc, **page)
    return done("Your request was sent to the agency.", url_for(".index"))


def _service_names() -> list[str]:
    """The names of the services the agency offers this client; none when billing is away
    (the form works without the choice)."""
    try:
        offered = services.billing.portal_list_services()
    except ServiceUnavailable:
        return []
    return [item["name"] for item in offered.get("items") or []]


def _files() -> list[dict]:
    try:
        return attachment_files(request.files.getlist("attachments"))
    except TooLarge as exc:  # on the page it is the file box's error, not a 413 page
        raise ValidationError(exc.message, exc.fields) from None


def _request_context(request_id: str) -> dict:
    item = services.clients.portal_get_request(request_id)
    return {"title": item["title"], "item": item}


@bp.get("/requests/<request_id>")
@portal_login_required
def request_page(request_id: str):
    """One of the client's requests and its conversation with the agency."""
    return show_form("portal/request.html", Form(), **_request_context(request_id))


@bp.post("/requests/<request_id>/comments")
@portal_login_required
def comment(request_id: str):
    """Add to the conversation (text, files or both); the agency is told."""
    form = read_form(CommentCreateRequest())
    try:
        body = form.valid_data()
        services.clients.portal_add_request_comment(
            request_id, body=body.get("body", ""), attachments=_files()
        )
    except DomainError as exc:
        return form_failed("portal/request.html", form, exc, **_request_context(request_id))
    return done(
        "Sent to the agency.", url_for(".request_page", request_id=request_id) + "#thread-end"
    )


@bp.get("/requests/<request_id>/files/<attachment_id>")
@portal_login_required
def download(request_id: str, attachment_id: str):
    """A file of one of the client's requests, as a download."""
    return attachment_response(
        services.clients.portal_get_request_attachment(request_id, attachment_id)
    )
