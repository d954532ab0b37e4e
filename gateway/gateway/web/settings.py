"""Settings: your password and API tokens, the agency's profile, the plan and trial."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import (
    Blueprint,
    g,
    make_response,
    render_template,
    request,
    url_for,
)
from marshmallow import Schema, fields
from marshmallow.validate import Range

from gateway import auth, failed_events
from gateway.api.billing_schemas import StripeKeysRequest
from gateway.api.schemas import AgencyUpdateRequest, ChangePasswordRequest, TokenCreateRequest
from gateway.auth import can, login_required, permission_required
from gateway.rpc import services
from gateway.web.forms import Form, done, form_failed, picture_change, read_form, show_form
from gateway.web.shell import current_agency
from kit import permissions
from kit.errors import DomainError, ValidationError
from kit.events import MAX_ATTEMPTS

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """Your account: change your password."""
    if request.method == "GET":
        return show_form("settings/account.html", Form(), **_page("account"))
    form = read_form(ChangePasswordRequest())
    try:
        result = services.identity.change_password(**form.valid_data(), ip=request.remote_addr)
    except DomainError as exc:
        return form_failed("settings/account.html", form, exc, **_page("account"))
    if g.get("auth_method") == "session":
        # identity ended every session, this one too; carry on with the fresh one.
        auth.start_session(result["session_token"])
    tokens = " Your API tokens are revoked." if form.valid_data()["revoke_tokens"] else ""
    return done(
        f"Your password is changed. You were logged out on your other devices.{tokens}",
        url_for(".index"),
    )


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """Personal API tokens: create (shown once), list with last use, revoke."""
    if request.method == "GET":
        return show_form("settings/tokens.html", Form(), tokens=_tokens(), **_page("tokens"))
    form = read_form(TokenCreateRequest())
    try:
        token = services.identity.create_api_token(form.valid_data()["name"])
    except DomainError as exc:
        return form_failed("settings/tokens.html", form, exc, tokens=_tokens(), **_page("tokens"))
    # Shown in this answer only (never via a cookie or a redirect): identity keeps a hash.
    response = make_response(
        show_form(
            "settings/tokens.html", Form(), tokens=_tokens(), new_token=token, **_page("tokens")
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str):
    """Revoke a token: scripts using it stop working at once."""
    services.identity.revoke_api_token(token_id)
    return done("The API token is revoked.", url_for(".tokens"))


@bp.route("/agency", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_SETTINGS)
def agency():
    """The agency's name, time zone and brand (colour and logo, shown to its clients)."""
    current = current_agency() or services.identity.get_agency()
    brand = current.get("branding") or {}
    if request.method == "GET":
        form = Form(
            {
                "name": current["name"],
                "timezone": current["timezone"],
                "brand_color": brand.get("color") or "",
            }
        )
        return show_form("settings/agency.html", form, **_agency_page(brand))
    form = read_form(AgencyUpdateRequest(), required=("name", "timezone"))
    try:
        body = form.valid_data()
        body["brand_color"] = body.get("brand_color") or None
        logo = picture_change("logo", "remove_logo")
        services.identity.update_agency(**body)
        if logo:
            services.identity.set_agency_logo(logo["logo_base64"])
    except DomainError as exc:
        return form_failed("settings/agency.html", form, exc, **_agency_page(brand))
    return done("The agency profile is saved.", url_for(".agency"))


@bp.route("/payments", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_SETTINGS)
def payments():
    """The agency's own Stripe keys: checked with Stripe, the secret never shown again."""
    account = services.billing.get_stripe_account()
    if request.method == "GET":
        days = ", ".join(str(d) for d in account.get("retry_days") or [3, 7])
        form = Form({"publishable_key": account.get("publishable_key") or "", "retry_days": days})
        return show_form("settings/payments.html", form, **_payments_page(account))
    form = read_form(
        StripeKeysRequest(), comma_lists=("retry_days",), omit_blank=("webhook_secret",)
    )
    try:
        body = form.valid_data()
        if not body.get("retry_days"):
            body.pop("retry_days", None)  # the service's default
        try:
            services.billing.set_stripe_keys(**body)
        except ValidationError as exc:
            # The service's sentence ("Stripe refused this secret key.") is what a person
            # reads under the box; its terse field messages are for programs.
            fields = dict.fromkeys(exc.fields or {}, exc.message)
            raise ValidationError(exc.message, fields) from None
    except DomainError as exc:
        form.values["retry_days"] = request.form.get("retry_days", "")
        return form_failed("settings/payments.html", form, exc, **_payments_page(account))
    return done("Stripe is connected: card payments are offered.", url_for(".payments"))


@bp.post("/payments/overdue")
@permission_required(permissions.MANAGE_SETTINGS)
def overdue_rule():
    """Set a client inactive once an invoice has been failed N days (blank: never)."""
    account = services.billing.get_stripe_account()
    form = read_form(OverdueRuleForm(), omit_blank=("inactive_after_failed_days",))
    try:
        days = form.valid_data().get("inactive_after_failed_days")
        services.billing.set_billing_settings(inactive_after_failed_days=days)
    except DomainError as exc:
        if exc.http_status in (401, 404) or exc.http_status >= 500:
            raise
        form.refuse(exc)
        page = _payments_page(account, overdue_form=form)
        return render_template("settings/payments.html", form=Form(), **page), exc.http_status
    if days is None:
        return done("Clients are no longer set inactive for failed invoices.", url_for(".payments"))
    return done(
        f"A client is set inactive once an invoice has been failed for {days} days.",
        url_for(".payments"),
    )


class OverdueRuleForm(Schema):
    inactive_after_failed_days = fields.Int(
        load_default=None,
        allow_none=True,
        validate=Range(min=1, max=365, error="Enter a number of days from 1 to 365."),
        error_messages={"invalid": "Enter a whole number of days."},
    )


def _payments_page(account: dict, overdue_form: Form | None = None) -> dict:
    if overdue_form is None:
        rule = services.billing.get_billing_settings()
        days = rule.get("inactive_after_failed_days")
        overdue_form = Form({"inactive_after_failed_days": "" if days is None else str(days)})
    return {**_page("payments"), "account": account, "overdue_form": overdue_form}


@bp.get("/plan")
@login_required
def plan():
    """The plan, its limits and price, the trial, the subscription and its invoices."""
    from gateway.web.subscription import plan_page

    return plan_page()


@bp.get("/events")
@permission_required(permissions.MANAGE_SETTINGS)
def events():
    """Events a service failed to handle: what, why, how often, when next; retry now."""
    status = (
        request.args.get("status") if request.args.get("status") in ("retrying", "dead") else None
    )
    page_number = request.args.get("page", 1, type=int) or 1
    page = failed_events.failed_events_page(status, max(1, min(page_number, 100_000)), 25)
    pages = max(1, -(-page["total"] // page["per_page"]))
    return render_template(
        "settings/events.html",
        page=page,
        pages=pages,
        status=status,
        max_attempts=MAX_ATTEMPTS,
        **_page("events"),
    )


@bp.post("/events/<event_id>/<handler>/retry")
@permission_required(permissions.MANAGE_SETTINGS)
def retry_event(event_id: str, handler: str):
    """Deliver a failed or dead event again now."""
    failed_events.retry_failed_event(event_id, handler)
    return done(
        "The event is being delivered again; it leaves this list once it is handled.",
        url_for(".events"),
    )


def _tokens() -> list[dict]:
    return services.identity.list_api_tokens()


def _agency_page(brand: dict) -> dict:
    timezones = [(z, z) for z in sorted(available_timezones())]
    return {**_page("agency"), "timezones": timezones, "brand": brand}


def _page(section: str) -> dict:
    titles = {
        "account": "Your account",
        "tokens": "API tokens",
        "agency": "Agency profile",
        "plan": "Plan & trial",
        "events": "Failed events",
        "payments": "Payments",
        "accounts": "Accounts & balances",
    }
    sections = [
        ("account", "settings.index", "person-lock", "Password"),
        ("tokens", "settings.tokens", "key", "API tokens"),
    ]
    if can(permissions.MANAGE_SETTINGS):
        sections.append(("agency", "settings.agency", "building-gear", "Agency profile"))
        sections.append(("payments", "settings.payments", "credit-card", "Payments"))
        sections.append(("events", "settings.events", "exclamation-triangle", "Failed events"))
    if can(permissions.VIEW_BILLING) or can(permissions.MANAGE_BILLING):
        sections.append(("accounts", "balances.index", "wallet2", "Accounts"))
    sections.append(("plan", "settings.plan", "stars", "Plan & trial"))
    return {"title": titles[section], "section": section, "sections": sections}
