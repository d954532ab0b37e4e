"""Settings: your password and API tokens, the agency's profile, the plan and trial."""

from __future__ import annotations

from flask import (
    Blueprint,
    g,
    make_response,
    render_template,
    request,
    url_for,
)

from gateway import auth
from gateway.auth import can, login_required, permission_required
from gateway.rpc import services
from gateway.web.forms import AgencyForm, ApiTokenForm, ChangePasswordForm, done, form_failed
from gateway.web.shell import current_agency
from kit.errors import DomainError

bp = Blueprint("settings", __name__, url_prefix="/settings")


@bp.route("/", methods=["GET", "POST"])
@login_required
def index():
    """Your account: change your password."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            result = services.identity.change_password(
                form.current_password.data,
                form.new_password.data,
                ip=request.remote_addr,
                revoke_tokens=bool(form.revoke_tokens.data),
            )
        except DomainError as exc:
            return form_failed("settings/account.html", form, exc, **_page("account"))
        if g.get("auth_method") == "session":
            # identity ended every session, this one too; carry on with the fresh one.
            auth.start_session(result["session_token"])
        tokens = " Your API tokens are revoked." if form.revoke_tokens.data else ""
        return done(
            f"Your password is changed. You were logged out on your other devices.{tokens}",
            url_for(".index"),
        )
    return render_template("settings/account.html", form=form, **_page("account"))


@bp.route("/tokens", methods=["GET", "POST"])
@login_required
def tokens():
    """Personal API tokens: create (shown once), list with last use, revoke."""
    form = ApiTokenForm()
    if form.validate_on_submit():
        try:
            token = services.identity.create_api_token(form.name.data)
        except DomainError as exc:
            return form_failed(
                "settings/tokens.html", form, exc, tokens=_tokens(), **_page("tokens")
            )
        # Shown in this answer only (never via a cookie or a redirect): identity keeps a hash.
        response = make_response(
            render_template(
                "settings/tokens.html",
                form=ApiTokenForm(formdata=None),
                tokens=_tokens(),
                new_token=token,
                **_page("tokens"),
            )
        )
        response.headers["Cache-Control"] = "no-store"
        return response
    return render_template("settings/tokens.html", form=form, tokens=_tokens(), **_page("tokens"))


@bp.post("/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str):
    """Revoke a token: scripts using it stop working at once."""
    services.identity.revoke_api_token(token_id)
    return done("The API token is revoked.", url_for(".tokens"))


@bp.route("/agency", methods=["GET", "POST"])
@permission_required("manage_settings")
def agency():
    """The agency's name and time zone."""
    current = current_agency() or services.identity.get_agency()
    form = AgencyForm(data={"name": current["name"], "timezone": current["timezone"]})
    if form.validate_on_submit():
        try:
            services.identity.update_agency(name=form.name.data, timezone=form.timezone.data)
        except DomainError as exc:
            return form_failed("settings/agency.html", form, exc, **_page("agency"))
        return done("The agency profile is saved.", url_for(".agency"))
    return render_template("settings/agency.html", form=form, **_page("agency"))


@bp.get("/plan")
@login_required
def plan():
    """The plan, its limits and price, and the trial."""
    return render_template(
        "settings/plan.html",
        agency=current_agency() or services.identity.get_agency(),
        entitlements=services.identity.get_entitlements(),
        plans=services.identity.list_plans(),
        **_page("plan"),
    )


def _tokens() -> list[dict]:
    return services.identity.list_api_tokens()


def _page(section: str) -> dict:
    titles = {
        "account": "Your account",
        "tokens": "API tokens",
        "agency": "Agency profile",
        "plan": "Plan & trial",
    }
    sections = [
        ("account", "settings.index", "person-lock", "Password"),
        ("tokens", "settings.tokens", "key", "API tokens"),
    ]
    if can("manage_settings"):
        sections.append(("agency", "settings.agency", "building-gear", "Agency profile"))
    sections.append(("plan", "settings.plan", "stars", "Plan & trial"))
    return {"title": titles[section], "section": section, "sections": sections}
