"""/api/v1/agency/subscription: the agency's own subscription to the platform (billing owns it),
its invoices, an onboarding specialist, and deleting the agency (identity). A read-only agency
(trial ended, renewal unpaid, subscription ended) may still call the ones marked
`allowed_when_read_only`: they are its ways out."""

from __future__ import annotations

from gateway import auth
from gateway.api.base import api, json_body, query_args
from gateway.api.billing import pdf_download
from gateway.api.paging import PageQuery
from gateway.api.subscription_schemas import (
    DeleteAgencyRequest,
    OnboardingRequest,
    RenewalRequest,
    SubscribeRequest,
    SubscriptionCardRequest,
    UpgradeRequest,
)
from gateway.auth import login_required, permission_required
from gateway.read_only import allowed_when_read_only
from gateway.rpc import services
from kit import permissions


@api.get("/agency/subscription")
@login_required
def get_subscription():
    """The agency's subscription to the platform.
    ---
    get:
      tags: [subscription]
      summary: Get the subscription (status none before the first one)
      responses:
        200: {description: The subscription, schema: Subscription}
    """
    return services.billing.get_subscription()


@api.post("/agency/subscription/card-setup")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def start_subscription_card_setup():
    """A SetupIntent on the platform's Stripe account: confirm it with Stripe.js, then subscribe.
    ---
    post:
      tags: [subscription]
      summary: Start saving a card for the subscription
      responses:
        200: {description: What Stripe.js needs, schema: SubscriptionCardSetup}
    """
    return services.billing.start_subscription_setup()


@api.post("/agency/subscription")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def subscribe():
    """Subscribe: the plan's price times the active users, charged now and every 30 days.
    ---
    post:
      tags: [subscription]
      summary: Subscribe with a card confirmed by Stripe.js
      requestBody: SubscribeRequest
      responses:
        201: {description: The active subscription, schema: Subscription}
        402: The card was declined (payment_failed)
        409: Already subscribed
    """
    body = json_body(SubscribeRequest)
    return services.billing.subscribe(body["plan"], body["setup_intent_id"]), 201


@api.put("/agency/subscription/card")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def update_subscription_card():
    """Charge another card from now on.
    ---
    put:
      tags: [subscription]
      summary: Replace the subscription's card
      requestBody: SubscriptionCardRequest
      responses:
        200: {description: The subscription, schema: Subscription}
    """
    body = json_body(SubscriptionCardRequest)
    return services.billing.update_subscription_card(body["setup_intent_id"])


@api.post("/agency/subscription/upgrade")
@permission_required(permissions.MANAGE_SETTINGS)
def upgrade_subscription():
    """Move to a plan with a higher price per user at once; the rest of the period is charged
    now: (new price - old price) x active users x days left / 30.
    ---
    post:
      tags: [subscription]
      summary: Upgrade the plan
      requestBody: UpgradeRequest
      responses:
        200: {description: The subscription, schema: Subscription}
        402: The card was declined (payment_failed)
        409: No active subscription
    """
    return services.billing.upgrade_subscription(json_body(UpgradeRequest)["plan"])


@api.post("/agency/subscription/cancel")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def cancel_subscription():
    """Cancel at the period's end: nothing more is charged; full access until then.
    ---
    post:
      tags: [subscription]
      summary: Cancel the subscription
      responses:
        200: {description: The subscription, schema: Subscription}
        409: No subscription to cancel
    """
    return services.billing.cancel_subscription()


@api.post("/agency/subscription/renewals")
@permission_required(permissions.MANAGE_SETTINGS)
@allowed_when_read_only
def renew_subscription():
    """Renew now if due by `as_of` (the service does this hourly; for operations and tests).
    ---
    post:
      tags: [subscription]
      summary: Run the subscription's renewal as of a day
      requestBody: RenewalRequest
      responses:
        200: {description: What happened, schema: Renewal}
    """
    return services.billing.renew_subscription(json_body(RenewalRequest)["as_of"])


@api.get("/agency/subscription/invoices")
@login_required
def list_platform_invoices():
    """The platform's invoices to the agency, newest first (manage_settings or view_billing).
    ---
    get:
      tags: [subscription]
      summary: List the subscription's invoices
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of invoices, schema: PlatformInvoicePage}
    """
    return services.billing.list_platform_invoices(**query_args(PageQuery))


@api.get("/agency/subscription/invoices/<invoice_id>")
@login_required
def get_platform_invoice(invoice_id: str):
    """One platform invoice.
    ---
    get:
      tags: [subscription]
      summary: Get a subscription invoice
      responses:
        200: {description: The invoice, schema: PlatformInvoice}
    """
    return services.billing.get_platform_invoice(invoice_id)


@api.get("/agency/subscription/invoices/<invoice_id>/pdf")
@login_required
def platform_invoice_pdf(invoice_id: str):
    """One platform invoice as a PDF.
    ---
    get:
      tags: [subscription]
      summary: Download a subscription invoice (PDF)
      responses:
        200:
          description: The PDF
          content: {application/pdf: {schema: {type: string, format: binary}}}
    """
    return pdf_download(services.billing.platform_invoice_pdf(invoice_id))


@api.post("/agency/onboarding")
@login_required
@allowed_when_read_only
def request_onboarding():
    """Ask for an onboarding specialist: the platform's staff get an e-mail.
    ---
    post:
      tags: [subscription]
      summary: Ask for an onboarding specialist
      requestBody: OnboardingRequest
      responses:
        202: {description: Sent, schema: OnboardingRequested}
    """
    body = json_body(OnboardingRequest)
    return services.identity.request_onboarding(body.get("message"), body.get("phone")), 202


@api.post("/agency/delete")
@login_required
@allowed_when_read_only
def delete_agency():
    """Delete the agency and everything of it, in every service (the owner, with the password).
    ---
    post:
      tags: [subscription]
      summary: Delete the agency's account
      requestBody: DeleteAgencyRequest
      responses:
        200: {description: Deleted, schema: AgencyDeleted}
        422: The password is not right
    """
    result = services.identity.delete_agency(json_body(DeleteAgencyRequest)["password"])
    auth.end_session()
    return result
