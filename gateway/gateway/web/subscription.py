"""Settings > Plan's actions: upgrade, cancel, an onboarding specialist, the invoices' PDFs and
deleting the agency. Subscribing (and replacing the card) happens in the page's script
(static/js/subscription.js): Stripe.js confirms the card, then the API subscribes."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for

from gateway import auth
from gateway.api.billing import pdf_download
from gateway.api.subscription_schemas import (
    DeleteAgencyRequest,
    OnboardingRequest,
    UpgradeRequest,
)
from gateway.auth import can, login_required, permission_required
from gateway.read_only import allowed_when_read_only
from gateway.rpc import services
from gateway.security_headers import stripe_page
from gateway.web.forms import done, read_form
from gateway.web.shell import current_agency
from kit import permissions
from kit.errors import DomainError

bp = Blueprint("subscription", __name__, url_prefix="/settings/plan")


def plan_page(forms: dict | None = None, status: int = 200):
    """Settings > Plan: the subscription, the plans, the invoices and the ways out."""
    from gateway.web.settings import _page  # the settings pages' frame

    subscription = services.billing.get_subscription()
    invoices = None
    if can(permissions.MANAGE_SETTINGS) or can(permissions.VIEW_BILLING):
        invoices = services.billing.list_platform_invoices(page=1, per_page=24)
    page = render_template(
        "settings/plan.html",
        agency=current_agency() or services.identity.get_agency(),
        entitlements=services.identity.get_entitlements(),
        plans=services.identity.list_plans(),
        subscription=subscription,
        invoices=invoices,
        forms=forms or {},
        **_page("plan"),
    )
    return stripe_page(page, status)


@bp.post("/upgrade")
@permission_required(permissions.MANAGE_SETTINGS)
def upgrade():
    form = read_form(UpgradeRequest())
    try:
        services.billing.upgrade_subscription(form.valid_data()["plan"])
    except DomainError as exc:
        return _failed("upgrade", form, exc)
    return done("Your plan is upgraded.", url_for("settings.plan"))


@bp.post("/cancel")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def cancel():
    subscription = services.billing.cancel_subscription()
    return done(
        f"Your subscription is canceled: it ends on {subscription['current_period_end']}.",
        url_for("settings.plan"),
    )


@bp.post("/onboarding")
@login_required
@allowed_when_read_only
def onboarding():
    form = read_form(OnboardingRequest())
    try:
        data = form.valid_data()
        sent = services.identity.request_onboarding(data.get("message"), data.get("phone"))
    except DomainError as exc:
        return _failed("onboarding", form, exc)
    return done(
        f"We have asked an onboarding specialist to contact you at {sent['email']}.",
        url_for("settings.plan"),
    )


@bp.post("/delete")
@login_required
@allowed_when_read_only
def delete_agency():
    form = read_form(DeleteAgencyRequest())
    try:
        services.identity.delete_agency(form.valid_data()["password"])
    except DomainError as exc:
        return _failed("delete", form, exc)
    auth.end_session()
    flash("Your agency and all of its data have been deleted.", "info")
    return redirect(url_for("auth.login"))


@bp.get("/invoices/<invoice_id>/pdf")
@login_required
def invoice_pdf(invoice_id: str):
    return pdf_download(services.billing.platform_invoice_pdf(invoice_id))


def _failed(name: str, form, exc: DomainError):
    if exc.http_status in (401, 404) or exc.http_status >= 500:
        raise exc
    form.refuse(exc)
    return plan_page({name: form}, exc.http_status)
