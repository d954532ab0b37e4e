"""/api/v1 balances: each client's funding (agency or customer) and the switch requests, usage,
the agency's balances, top-ups, refunds and every account's transfers. Reading takes
view_billing (the billing service decides); changing takes manage_billing, checked here and
again in the service."""

from __future__ import annotations

from flask import Response

from gateway.api.balances_schemas import (
    BalanceRefundRequest,
    BalanceSettingsRequest,
    CardTopUpRequest,
    FundingRequestCreate,
    ManualCreditRequest,
    TransferQuery,
    UsageRebillingRequest,
    UsageRequest,
)
from gateway.api.base import api, json_body, query_args
from gateway.api.billing_schemas import SaveCardRequest
from gateway.api.paging import PageQuery
from gateway.auth import login_required, permission_required
from gateway.rpc import services
from kit import permissions

# --- accounts and funding ----------------------------------------------------------------------


@api.get("/accounts")
@login_required
def list_accounts():
    """Every client with who funds its usage and its balance (Settings > Accounts).
    ---
    get:
      tags: [balances]
      summary: List the clients' funding and balances
      responses:
        200: {description: The agency balance and each client, schema: AccountList}
    """
    return services.billing.list_accounts()


@api.get("/clients/<client_id>/funding")
@login_required
def get_funding(client_id: str):
    """Who funds the client's usage, its balance and any pending switch request.
    ---
    get:
      tags: [balances]
      summary: Get a client's funding
      responses:
        200: {description: The funding, schema: Funding}
    """
    return services.billing.get_funding(client_id)


@api.post("/clients/<client_id>/funding/agency")
@permission_required(permissions.MANAGE_BILLING)
def fund_by_agency(client_id: str):
    """Add to agency billing: the customer's card removed, its balance added to the agency's.
    ---
    post:
      tags: [balances]
      summary: Switch a client to agency funding
      responses:
        200: {description: The funding, schema: Funding}
    """
    return services.billing.fund_by_agency(client_id)


@api.post("/clients/<client_id>/funding/requests")
@permission_required(permissions.MANAGE_BILLING)
def request_customer_funding(client_id: str):
    """Remove from agency billing: e-mail the customer a secure link to pay its starting balance.
    ---
    post:
      tags: [balances]
      summary: Ask the customer to fund the client's usage
      requestBody: FundingRequestCreate
      responses:
        201: {description: The pending request, schema: FundingRequest}
        409: Already customer-funded, a request is pending, or no Stripe keys
    """
    body = json_body(FundingRequestCreate)
    return services.billing.request_customer_funding(client_id, **body), 201


@api.post("/clients/<client_id>/funding/requests/<request_id>/resend")
@permission_required(permissions.MANAGE_BILLING)
def resend_funding_request(client_id: str, request_id: str):
    """E-mail a new link (the previous one stops working).
    ---
    post:
      tags: [balances]
      summary: Resend a funding request
      responses:
        200: {description: The request, schema: FundingRequest}
        409: The request is no longer pending
    """
    return services.billing.resend_funding_request(client_id, request_id)


@api.post("/clients/<client_id>/funding/requests/<request_id>/cancel")
@permission_required(permissions.MANAGE_BILLING)
def cancel_funding_request(client_id: str, request_id: str):
    """Cancel a pending request: its link stops working.
    ---
    post:
      tags: [balances]
      summary: Cancel a funding request
      responses:
        200: {description: The request, schema: FundingRequest}
        409: The request is no longer pending
    """
    return services.billing.cancel_funding_request(client_id, request_id)


# --- usage -------------------------------------------------------------------------------------


@api.post("/clients/<client_id>/usage")
@permission_required(permissions.MANAGE_BILLING)
def record_usage(client_id: str):
    """Record usage: drawn from whichever balance funds the client now, once per key.
    ---
    post:
      tags: [balances]
      summary: Record usage
      requestBody: UsageRequest
      responses:
        201: {description: The usage (the same again for a repeated key), schema: Usage}
        402: The balance cannot cover it; the client's usage is paused until a top-up
        409: The idempotency key was used for a different entry
    """
    body = json_body(UsageRequest)
    return services.billing.record_usage(
        client_id, body["amount"], body["description"], body["idempotency_key"]
    ), 201


@api.get("/clients/<client_id>/usage")
@login_required
def list_usage(client_id: str):
    """The client's usage, newest first.
    ---
    get:
      tags: [balances]
      summary: List a client's usage
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of usage, schema: UsagePage}
    """
    return services.billing.list_usage(client_id, **query_args(PageQuery))


# --- balances, top-ups, transfers ---------------------------------------------------------------


@api.get("/balances")
@login_required
def get_balances():
    """The agency balance, each client balance and the system accounts (they sum to zero).
    ---
    get:
      tags: [balances]
      summary: Get the balances
      responses:
        200: {description: The balances, schema: Balances}
    """
    return services.billing.get_balances()


@api.put("/balances/settings")
@permission_required(permissions.MANAGE_BILLING)
def set_balance_settings():
    """The low-balance e-mail threshold and the optional auto-recharge amount.
    ---
    put:
      tags: [balances]
      summary: Set the low-balance threshold and auto-recharge
      requestBody: BalanceSettingsRequest
      responses:
        200: {description: The settings, schema: BalanceSettings}
    """
    return services.billing.set_balance_settings(**json_body(BalanceSettingsRequest))


@api.get("/balances/rebilling")
@login_required
def get_usage_rebilling():
    """How agency-funded usage is re-billed on the client's monthly invoice.
    ---
    get:
      tags: [balances]
      summary: Get the usage re-billing setting
      responses:
        200: {description: The setting, schema: UsageRebilling}
    """
    return services.billing.get_usage_rebilling()


@api.put("/balances/rebilling")
@permission_required(permissions.MANAGE_BILLING)
def set_usage_rebilling():
    """Re-bill agency-funded usage: off, at cost, or with a markup in basis points. Each billing
    run bills the month before its date: one "Usage <Month YYYY>" invoice per client.
    ---
    put:
      tags: [balances]
      summary: Set the usage re-billing
      requestBody: UsageRebillingRequest
      responses:
        200: {description: The setting, schema: UsageRebilling}
    """
    return services.billing.set_usage_rebilling(**json_body(UsageRebillingRequest()))


@api.post("/balances/top-ups")
@permission_required(permissions.MANAGE_BILLING)
def top_up_by_card():
    """Top up the agency balance (or a client's, with client_id) from its saved card.
    ---
    post:
      tags: [balances]
      summary: Top up a balance by card (at least $25)
      requestBody: CardTopUpRequest
      responses:
        201: {description: The top-up, schema: TopUp}
        402: The card was declined
        409: No card saved, the key used for another top-up, or `stripe_key_refused`
    """
    return services.billing.top_up_by_card(**json_body(CardTopUpRequest)), 201


@api.post("/balances/card")
@permission_required(permissions.MANAGE_BILLING)
def start_agency_card_setup():
    """Start saving the agency's own card (for top-ups): a SetupIntent for Stripe.js.
    ---
    post:
      tags: [balances]
      summary: Start saving the agency's card (SetupIntent client secret)
      responses:
        200: {description: The SetupIntent, schema: CardSetup}
        409: The agency has no Stripe keys, or `stripe_key_refused`
    """
    return services.billing.start_agency_card_setup()


@api.put("/balances/card")
@permission_required(permissions.MANAGE_BILLING)
def save_agency_card():
    """Keep the card of a SetupIntent Stripe.js confirmed as the agency's top-up card.
    ---
    put:
      tags: [balances]
      summary: Save the agency's confirmed card
      requestBody: SaveCardRequest
      responses:
        200: {description: The card, schema: AgencyCard}
        409: No card setup was started, no Stripe keys, or `stripe_key_refused`
    """
    body = json_body(SaveCardRequest)
    return services.billing.save_agency_card(body["setup_intent_id"])


@api.post("/balances/credits")
@permission_required(permissions.MANAGE_BILLING)
def record_manual_credit():
    """Credit a transfer received (bank transfer, check) to a balance, with its reference.
    ---
    post:
      tags: [balances]
      summary: Record a manual credit
      requestBody: ManualCreditRequest
      responses:
        201: {description: The credit, schema: TopUp}
        409: The idempotency key was used for a different entry
    """
    return services.billing.record_manual_credit(**json_body(ManualCreditRequest)), 201


@api.post("/clients/<client_id>/balance/refund")
@permission_required(permissions.MANAGE_BILLING)
def refund_customer_balance(client_id: str):
    """Refund (part of) a customer's unused balance to the card payments that funded it
    (newest first, split over several when needed; past them, paid back by hand).
    ---
    post:
      tags: [balances]
      summary: Refund a customer balance
      requestBody: BalanceRefundRequest
      responses:
        200: {description: The refund, schema: BalanceRefund}
        402: Stripe refused every part of the refund (the balance is as before)
        409: The balance is empty, the key used for another refund, or `stripe_key_refused`
        422: More than the balance
        503: Stripe did not answer; the refund is pending (try again with the same key)
    """
    body = json_body(BalanceRefundRequest)
    return services.billing.refund_customer_balance(client_id, **body)


@api.get("/balances/<account>/transfers")
@login_required
def list_transfers(account: str):
    """An account's transfers, newest first, each with the balance after it.
    ---
    get:
      tags: [balances]
      summary: List an account's transfers (agency, a client id, or a system account)
      parameters: [{in: query, schema: TransferQuery}]
      responses:
        200: {description: One page of transfers, schema: TransferPage}
    """
    return services.billing.list_transfers(account, **query_args(TransferQuery))


@api.get("/balances/<account>/transfers.csv")
@login_required
def transfers_csv(account: str):
    """Every transfer of an account, oldest first, as CSV (formula cells neutralised).
    ---
    get:
      tags: [balances]
      summary: Export an account's transfers as CSV
      responses:
        200: {description: The CSV, content: {text/csv: {schema: {type: string}}}}
    """
    text = services.billing.transfers_csv(account)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="transfers-{account}.csv"'},
    )
