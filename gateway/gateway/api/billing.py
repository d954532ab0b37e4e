"""/api/v1 billing: the service catalog, assignments and their time entries, charges, billing
runs, invoices, the agency's Stripe keys, a client's card and Stripe's webhooks. Permissions are
checked here and again in the billing service; reading the catalog and assignments takes any of
manage_services, view_billing, view_clients, which the service decides."""

from __future__ import annotations

import base64

from flask import Response, request

from gateway.api.base import api, json_body, query_args
from gateway.api.billing_schemas import (
    AssignmentCreateRequest,
    AssignmentEndRequest,
    AssignmentListQuery,
    BillingRunRequest,
    BillingSettings,
    ChargeRequest,
    InvoiceListQuery,
    MarkPaidRequest,
    RefundRequest,
    SaveCardRequest,
    ServiceCreateRequest,
    ServiceListQuery,
    ServiceUpdateRequest,
    StripeKeysRequest,
    TimeEntryRequest,
)
from gateway.api.paging import PageQuery, page_of
from gateway.auth import login_required, permission_required
from gateway.rpc import services
from kit import permissions

# --- the catalog --------------------------------------------------------------------------


@api.get("/services")
@login_required
def list_services():
    """The agency's service catalog.
    ---
    get:
      tags: [billing]
      summary: List services (active unless status says archived)
      parameters: [{in: query, schema: ServiceListQuery}]
      responses:
        200: {description: One page of services, schema: ServicePage}
    """
    return services.billing.list_services(**query_args(ServiceListQuery))


@api.post("/services")
@permission_required(permissions.MANAGE_SERVICES)
def add_service():
    """Add a service to the catalog.
    ---
    post:
      tags: [billing]
      summary: Add a service
      requestBody: ServiceCreateRequest
      responses:
        201: {description: The new service, schema: Service}
        409: A live service has this name
    """
    return services.billing.add_service(**json_body(ServiceCreateRequest)), 201


@api.get("/services/<service_id>")
@login_required
def get_service(service_id: str):
    """One service of the catalog.
    ---
    get:
      tags: [billing]
      summary: Get a service
      responses:
        200: {description: The service, schema: Service}
    """
    return services.billing.get_service(service_id)


@api.patch("/services/<service_id>")
@permission_required(permissions.MANAGE_SERVICES)
def update_service(service_id: str):
    """Rename a service or change its description.
    ---
    patch:
      tags: [billing]
      summary: Edit a service
      requestBody: ServiceUpdateRequest
      responses:
        200: {description: The service as changed, schema: Service}
        409: The service is archived, or another live service has this name
    """
    return services.billing.update_service(service_id, **json_body(ServiceUpdateRequest))


@api.delete("/services/<service_id>")
@permission_required(permissions.MANAGE_SERVICES)
def archive_service(service_id: str):
    """Archive a service: no new assignments; those it has keep billing.
    ---
    delete:
      tags: [billing]
      summary: Archive a service
      responses:
        200: {description: The archived service, schema: Service}
    """
    return services.billing.archive_service(service_id)


# --- assignments and time entries -------------------------------------------------------------


@api.get("/assignments")
@login_required
def list_assignments():
    """Services assigned to clients, newest first.
    ---
    get:
      tags: [billing]
      summary: List assignments (filters client, service, status)
      parameters: [{in: query, schema: AssignmentListQuery}]
      responses:
        200: {description: One page of assignments, schema: AssignmentPage}
        404: No such client or service (filter)
    """
    return services.billing.list_assignments(**query_args(AssignmentListQuery))


@api.post("/assignments")
@permission_required(permissions.MANAGE_SERVICES)
def assign_service():
    """Assign a service to a client with its billing terms.
    ---
    post:
      tags: [billing]
      summary: Assign a service
      requestBody: AssignmentCreateRequest
      responses:
        201: {description: The new assignment, schema: Assignment}
    """
    return services.billing.assign_service(**json_body(AssignmentCreateRequest)), 201


@api.get("/assignments/<assignment_id>")
@login_required
def get_assignment(assignment_id: str):
    """One assignment.
    ---
    get:
      tags: [billing]
      summary: Get an assignment
      responses:
        200: {description: The assignment, schema: Assignment}
    """
    return services.billing.get_assignment(assignment_id)


@api.delete("/assignments/<assignment_id>")
@permission_required(permissions.MANAGE_SERVICES)
def delete_assignment(assignment_id: str):
    """Delete an assignment that has not started.
    ---
    delete:
      tags: [billing]
      summary: Delete an assignment not started yet
      responses:
        204: Deleted
        409: The assignment has started (end it instead)
    """
    services.billing.delete_assignment(assignment_id)
    return "", 204


@api.post("/assignments/<assignment_id>/end")
@permission_required(permissions.MANAGE_SERVICES)
def end_assignment(assignment_id: str):
    """End an assignment on a day: nothing is billed after it, a cut cycle pro rata.
    ---
    post:
      tags: [billing]
      summary: End an assignment
      requestBody: AssignmentEndRequest
      responses:
        200: {description: The assignment, schema: Assignment}
    """
    body = json_body(AssignmentEndRequest)
    return services.billing.end_assignment(assignment_id, body["end_date"])


@api.get("/assignments/<assignment_id>/activities")
@login_required
def list_activities(assignment_id: str):
    """An assignment's history: assigned, time logged, invoiced, ended.
    ---
    get:
      tags: [billing]
      summary: An assignment's activities, oldest first
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of activities, schema: ActivityPage}
    """
    activities = services.billing.list_activities(assignment_id)
    return page_of(activities, **query_args(PageQuery))


@api.get("/assignments/<assignment_id>/time-entries")
@login_required
def list_time_entries(assignment_id: str):
    """The time notes logged on an hourly assignment.
    ---
    get:
      tags: [billing]
      summary: List an assignment's time entries
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of time entries, schema: TimeEntryPage}
    """
    notes = services.billing.list_time_notes(assignment_id)
    return page_of(notes, **query_args(PageQuery))


@api.post("/assignments/<assignment_id>/time-entries")
@permission_required(permissions.MANAGE_SERVICES)
def log_time(assignment_id: str):
    """Log time on an hourly assignment; it becomes a line of the month's invoice.
    ---
    post:
      tags: [billing]
      summary: Log a time entry
      requestBody: TimeEntryRequest
      responses:
        201: {description: The time entry, schema: TimeEntry}
        409: The month is already invoiced
    """
    return services.billing.log_time(assignment_id, **json_body(TimeEntryRequest)), 201


# --- charges, runs and invoices --------------------------------------------------------------


@api.post("/charges")
@permission_required(permissions.MANAGE_BILLING)
def charge_now():
    """Charge now: a one-time invoice issued at once, and charged at once for a card.
    ---
    post:
      tags: [billing]
      summary: Charge a client now
      requestBody: ChargeRequest
      responses:
        201: {description: The invoice, schema: Invoice}
    """
    return services.billing.charge_now(**json_body(ChargeRequest)), 201


@api.post("/billing/runs")
@permission_required(permissions.MANAGE_BILLING)
def run_billing():
    """Issue every invoice due by a date (the service also runs this itself, daily).
    ---
    post:
      tags: [billing]
      summary: Run billing as of a date
      requestBody: BillingRunRequest
      responses:
        200: {description: What the run issued and charged, schema: BillingRun}
    """
    return services.billing.run_billing(json_body(BillingRunRequest)["as_of"])


@api.get("/invoices")
@permission_required(permissions.VIEW_BILLING)
def list_invoices():
    """Invoices, newest number first.
    ---
    get:
      tags: [billing]
      summary: List invoices (filters status, client, date range)
      parameters: [{in: query, schema: InvoiceListQuery}]
      responses:
        200: {description: One page of invoices, schema: InvoicePage}
        404: No such client (filter)
    """
    return services.billing.list_invoices(**query_args(InvoiceListQuery))


@api.get("/invoices/<invoice_id>")
@permission_required(permissions.VIEW_BILLING)
def get_invoice(invoice_id: str):
    """One invoice with its lines (the service breakdown).
    ---
    get:
      tags: [billing]
      summary: Get an invoice
      responses:
        200: {description: The invoice, schema: Invoice}
    """
    return services.billing.get_invoice(invoice_id)


def pdf_download(document: dict) -> Response:
    """A PDF billing made (`{"filename","content_base64"}`: a client's or a platform invoice)
    as a download, for the API and the pages alike."""
    return Response(
        base64.b64decode(document["content_base64"]),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{document["filename"]}"'},
    )


def invoice_pdf_response(invoice_id: str) -> Response:
    """The invoice's PDF as a download (the API's and the Billing page's)."""
    return pdf_download(services.billing.invoice_pdf(invoice_id))


@api.get("/invoices/<invoice_id>/pdf")
@permission_required(permissions.VIEW_BILLING)
def get_invoice_pdf(invoice_id: str):
    """The invoice as a PDF (a download named invoice-<number>.pdf).
    ---
    get:
      tags: [billing]
      summary: Download an invoice's PDF
      responses:
        200:
          description: The PDF
          content: {application/pdf: {schema: {type: string, format: binary}}}
    """
    return invoice_pdf_response(invoice_id)


@api.post("/invoices/<invoice_id>/mark-paid")
@permission_required(permissions.MANAGE_BILLING)
def mark_paid(invoice_id: str):
    """Record a payment received outside Stripe (a check, a transfer).
    ---
    post:
      tags: [billing]
      summary: Mark an invoice paid
      requestBody: MarkPaidRequest
      responses:
        200: {description: The invoice, schema: Invoice}
        409: The invoice is paid or void
    """
    body = json_body(MarkPaidRequest)
    return services.billing.mark_paid(invoice_id, body["method"], body.get("reference"))


@api.post("/invoices/<invoice_id>/void")
@permission_required(permissions.MANAGE_BILLING)
def void_invoice(invoice_id: str):
    """Void an open or failed invoice.
    ---
    post:
      tags: [billing]
      summary: Void an invoice
      responses:
        200: {description: The invoice, schema: Invoice}
        409: The invoice is paid or void
    """
    return services.billing.void_invoice(invoice_id)


@api.post("/invoices/<invoice_id>/refund")
@permission_required(permissions.MANAGE_BILLING)
def refund_invoice(invoice_id: str):
    """Refund a paid invoice, in part or whole: through Stripe for a card payment, recorded as
    refunded by hand otherwise.
    ---
    post:
      tags: [billing]
      summary: Refund an invoice
      requestBody: RefundRequest
      responses:
        201: {description: The refund, schema: Refund}
        402: Stripe refused the refund
        409: The invoice is not paid, or `stripe_key_refused` (enter a new Stripe key)
    """
    body = json_body(RefundRequest)
    return services.billing.refund_invoice(invoice_id, body.get("amount"), body.get("reason")), 201


@api.get("/invoices/<invoice_id>/refunds")
@permission_required(permissions.VIEW_BILLING)
def list_refunds(invoice_id: str):
    """The invoice's refunds, oldest first.
    ---
    get:
      tags: [billing]
      summary: List an invoice's refunds
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of refunds, schema: RefundPage}
    """
    return page_of(services.billing.list_refunds(invoice_id), **query_args(PageQuery))


@api.get("/agency/billing-settings")
@login_required  # manage_settings or view_billing: the service decides
def get_billing_settings():
    """The agency's billing rules (the overdue rule).
    ---
    get:
      tags: [billing]
      summary: Get the agency's billing settings
      responses:
        200: {description: The settings, schema: BillingSettings}
    """
    return services.billing.get_billing_settings()


@api.put("/agency/billing-settings")
@permission_required(permissions.MANAGE_SETTINGS)
def set_billing_settings():
    """Set the agency's billing rules.
    ---
    put:
      tags: [billing]
      summary: Set the agency's billing settings
      requestBody: BillingSettings
      responses:
        200: {description: The settings, schema: BillingSettings}
    """
    body = json_body(BillingSettings)
    return services.billing.set_billing_settings(body["inactive_after_failed_days"])


# --- Stripe ----------------------------------------------------------------------------------


@api.get("/agency/stripe")
@login_required  # manage_settings or view_billing: the service decides
def get_stripe_account():
    """The agency's Stripe account as kept: never a secret, the secret key's last 4 only.
    ---
    get:
      tags: [billing]
      summary: Get the agency's Stripe settings
      responses:
        200: {description: The account, schema: StripeAccount}
    """
    return services.billing.get_stripe_account()


@api.put("/agency/stripe")
@permission_required(permissions.MANAGE_SETTINGS)
def set_stripe_keys():
    """Set the agency's own Stripe keys, checked with a call to Stripe first.
    ---
    put:
      tags: [billing]
      summary: Set the agency's Stripe keys
      requestBody: StripeKeysRequest
      responses:
        200: {description: The account, schema: StripeAccount}
    """
    return services.billing.set_stripe_keys(**json_body(StripeKeysRequest))


@api.get("/clients/<client_id>/payment-method")
@permission_required(permissions.VIEW_BILLING)
def get_card(client_id: str):
    """The client's saved card (brand and last four digits), if any.
    ---
    get:
      tags: [billing]
      summary: The client's saved card
      responses:
        200: {description: The client's card, or null when none is saved, schema: ClientCard}
    """
    return services.billing.get_card(client_id)


@api.post("/clients/<client_id>/payment-method")
@permission_required(permissions.MANAGE_BILLING)
def start_card_setup(client_id: str):
    """Start saving a client's card: a SetupIntent for Stripe.js to confirm.
    ---
    post:
      tags: [billing]
      summary: Start saving a card (SetupIntent client secret)
      responses:
        200: {description: The SetupIntent, schema: CardSetup}
        409: No Stripe keys (card payments are off), or `stripe_key_refused`
    """
    return services.billing.start_card_setup(client_id)


@api.put("/clients/<client_id>/payment-method")
@permission_required(permissions.MANAGE_BILLING)
def save_card(client_id: str):
    """Keep the card of a SetupIntent Stripe.js confirmed as the client's card.
    ---
    put:
      tags: [billing]
      summary: Save the confirmed card
      requestBody: SaveCardRequest
      responses:
        200: {description: The client's card, schema: SavedCard}
        409: No Stripe keys (card payments are off), or `stripe_key_refused`
    """
    body = json_body(SaveCardRequest)
    return services.billing.save_card(client_id, body["setup_intent_id"])


@api.post("/webhooks/stripe/<agency_id>")
def stripe_webhook(agency_id: str):
    """Stripe's events for an agency, verified with its webhook secret (no session).
    ---
    post:
      tags: [billing]
      summary: Stripe webhook endpoint
      security: []
      requestBody: {content: {application/json: {schema: {type: object}}}}
      responses:
        200: {description: Handled or ignored (a duplicate), schema: WebhookResult}
    """
    signature = request.headers.get("Stripe-Signature", "")
    payload = request.get_data(as_text=True)
    return services.billing.handle_stripe_webhook(agency_id, payload, signature)
