"""The billing part of the API's schemas: the catalog, assignments, time notes, charges,
invoices and Stripe. Money is integer minor units (1250 is 12.50); the billing service checks
the rules that need its records (a client or service of the agency, dates inside an assignment).
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.paging import Page, PageQuery
from gateway.api.schema_fields import Id, IsoDate, Length, OneOf, Range, Schema
from gateway.api.schemas import Money
from kit import vocabulary

NAME = Length(min=1, max=100)
NOTE = Length(max=2000)
# Minor units: up to ten million in the currency's major unit, far past any fee.
AMOUNT = Range(min=0, max=1_000_000_000)
CURRENCY = Length(min=3, max=3)
PAYMENT_METHODS = OneOf(vocabulary.PAYMENT_METHODS)
BILLING_TYPES = OneOf(vocabulary.BILLING_TYPES)
ASSIGNMENT_STATUSES = OneOf(vocabulary.ASSIGNMENT_STATUSES)
INVOICE_STATUSES = OneOf(vocabulary.INVOICE_STATUSES)
PAID_METHODS = OneOf(vocabulary.PAID_METHODS)


class Named(Schema):
    id = fields.Str()
    name = fields.Str()


# --- the catalog --------------------------------------------------------------------------


class ServiceCreateRequest(Schema):
    name = fields.Str(required=True, validate=NAME)
    description = fields.Str(allow_none=True, validate=NOTE)


class ServiceUpdateRequest(Schema):
    name = fields.Str(validate=NAME)
    description = fields.Str(allow_none=True, validate=NOTE)


class ServiceListQuery(PageQuery):
    status = fields.Str(validate=OneOf(vocabulary.SERVICE_STATUSES), load_default="active")


class Service(Schema):
    id = fields.Str()
    name = fields.Str()
    description = fields.Str(allow_none=True)
    status = fields.Str(metadata={"enum": list(vocabulary.SERVICE_STATUSES)})
    created_at = fields.Str()
    archived_at = fields.Str(allow_none=True)


class ServicePage(Page):
    items = fields.List(fields.Nested(Service))


# --- assignments and time notes ---------------------------------------------------------------


class AssignmentCreateRequest(Schema):
    service_id = Id(required=True)
    client_id = Id(required=True)
    payment_method = fields.Str(required=True, validate=PAYMENT_METHODS)
    billing_type = fields.Str(required=True, validate=BILLING_TYPES)
    start_date = IsoDate(required=True)
    end_date = IsoDate(allow_none=True)
    rate = fields.Int(
        required=True, validate=AMOUNT, metadata={"description": "Per cycle, or per hour"}
    )
    currency = fields.Str(validate=CURRENCY, load_default="USD")
    note = fields.Str(allow_none=True, validate=NOTE)


class AssignmentEndRequest(Schema):
    end_date = IsoDate(required=True, metadata={"description": "Its last day: today or later"})


class AssignmentListQuery(PageQuery):
    client_id = fields.Str()
    service_id = fields.Str()
    status = fields.Str(validate=ASSIGNMENT_STATUSES)


class Assignment(Schema):
    id = fields.Str()
    service = fields.Nested(Named)
    client = fields.Nested(Named)
    payment_method = fields.Str()
    billing_type = fields.Str()
    start_date = fields.Str()
    end_date = fields.Str(allow_none=True)
    rate = fields.Nested(Money)
    note = fields.Str(allow_none=True)
    status = fields.Str(metadata={"enum": ASSIGNMENT_STATUSES.choices})
    next_bill_on = fields.Str(allow_none=True)
    created_by = fields.Str(allow_none=True)
    created_at = fields.Str()
    ended_at = fields.Str(allow_none=True)


class AssignmentPage(Page):
    items = fields.List(fields.Nested(Assignment))


class Activity(Schema):
    kind = fields.Str(metadata={"enum": ["assigned", "time_logged", "invoiced", "ended"]})
    at = fields.Str()
    by = fields.Str(allow_none=True)
    detail = fields.Raw(allow_none=True)


class ActivityPage(Page):
    items = fields.List(fields.Nested(Activity))


class TimeEntryRequest(Schema):
    work_date = IsoDate(required=True)
    minutes = fields.Int(required=True, validate=Range(min=1, max=1440))
    note = fields.Str(allow_none=True, validate=NOTE)


class TimeEntry(Schema):
    id = fields.Str()
    assignment_id = fields.Str()
    work_date = fields.Str()
    minutes = fields.Int()
    note = fields.Str(allow_none=True)
    logged_by = fields.Str(allow_none=True)
    invoice_id = fields.Str(allow_none=True)
    created_at = fields.Str()


class TimeEntryPage(Page):
    items = fields.List(fields.Nested(TimeEntry))


# --- charges, runs and invoices --------------------------------------------------------------


class ChargeRequest(Schema):
    client_id = Id(required=True)
    service_id = Id(required=True)
    amount = fields.Int(required=True, validate=Range(min=1, max=1_000_000_000))
    note = fields.Str(allow_none=True, validate=NOTE)
    payment_method = fields.Str(validate=PAYMENT_METHODS, load_default="check")
    currency = fields.Str(validate=CURRENCY, load_default="USD")


class BillingRunRequest(Schema):
    as_of = IsoDate(required=True, metadata={"description": "Not later than today"})


class BillingRun(Schema):
    as_of = fields.Str()
    issued = fields.Int()
    numbers = fields.List(fields.Int(), allow_none=True)
    charged = fields.Dict(keys=fields.Str(), values=fields.Int())


class InvoiceListQuery(PageQuery):
    status = fields.Str(validate=INVOICE_STATUSES)
    client_id = fields.Str()
    date_from = IsoDate()
    date_to = IsoDate()


class InvoiceLine(Schema):
    service_id = fields.Str()
    service_name = fields.Str()
    description = fields.Str(allow_none=True)
    period_start = fields.Str(allow_none=True)
    period_end = fields.Str(allow_none=True)
    minutes = fields.Int(allow_none=True)
    amount = fields.Nested(Money)


class Invoice(Schema):
    id = fields.Str()
    number = fields.Int()
    issued_on = fields.Str()
    due_on = fields.Str()
    client = fields.Nested(Named)
    assignment_id = fields.Str(allow_none=True)
    period_start = fields.Str(allow_none=True)
    period_end = fields.Str(allow_none=True)
    payment_method = fields.Str()
    total = fields.Nested(Money)
    status = fields.Str(metadata={"enum": INVOICE_STATUSES.choices})
    note = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)
    paid_at = fields.Str(allow_none=True)
    paid_method = fields.Str(allow_none=True)
    paid_reference = fields.Str(allow_none=True)
    voided_at = fields.Str(allow_none=True)
    created_at = fields.Str()
    lines = fields.List(fields.Nested(InvoiceLine))


class InvoicePage(Page):
    items = fields.List(fields.Nested(Invoice))


class MarkPaidRequest(Schema):
    method = fields.Str(required=True, validate=PAID_METHODS)
    reference = fields.Str(allow_none=True, validate=Length(max=200))


# --- Stripe ----------------------------------------------------------------------------------


class StripeKeysRequest(Schema):
    publishable_key = fields.Str(required=True, validate=Length(min=1, max=255))
    secret_key = fields.Str(required=True, validate=Length(min=1, max=255), load_only=True)
    webhook_secret = fields.Str(allow_none=True, validate=Length(max=255), load_only=True)
    retry_days = fields.List(fields.Int(validate=Range(min=1, max=60)), allow_none=True)


class StripeAccount(Schema):
    connected = fields.Bool()
    publishable_key = fields.Str(allow_none=True)
    secret_key_last4 = fields.Str(allow_none=True)
    has_webhook_secret = fields.Bool()
    retry_days = fields.List(fields.Int())
    checked_at = fields.Str(allow_none=True)
    key_refused_at = fields.Str(
        allow_none=True,
        metadata={
            "description": "When Stripe refused the secret key (revoked, rolled, wrong): card "
            "charges, top-ups, refunds and card setups answer 409 `stripe_key_refused` until a "
            "new key is set; null when the key works"
        },
    )


class CardSetup(Schema):
    setup_intent_id = fields.Str()
    client_secret = fields.Str()
    publishable_key = fields.Str()
    customer_id = fields.Str()


class SaveCardRequest(Schema):
    setup_intent_id = fields.Str(required=True, validate=Length(min=1, max=255))


class SavedCard(Schema):
    client_id = fields.Str()
    card = fields.Str(allow_none=True, metadata={"example": "visa ending 4242"})


class ClientCard(SavedCard):
    card_payments = fields.Bool(metadata={"description": "The agency takes cards (Stripe set)"})


class WebhookResult(Schema):
    handled = fields.Bool()
    reason = fields.Str(allow_none=True)


# --- refunds and the billing settings -----------------------------------------------------------


class RefundRequest(Schema):
    amount = fields.Int(
        allow_none=True,
        validate=Range(min=1, max=1_000_000_000),
        metadata={"description": "Minor units; none: what is left to refund"},
    )
    reason = fields.Str(allow_none=True, validate=Length(max=500))


class Refund(Schema):
    id = fields.Str()
    invoice_id = fields.Str()
    number = fields.Int()
    amount = fields.Nested(Money)
    reason = fields.Str(allow_none=True)
    method = fields.Str(metadata={"enum": ["stripe", "manual"]})
    status = fields.Str(metadata={"enum": ["pending", "succeeded", "failed"]})
    stripe_refund_id = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)
    created_at = fields.Str()
    finished_at = fields.Str(allow_none=True)
    refunded_total = fields.Nested(Money)
    refundable = fields.Nested(Money)


class RefundPage(Page):
    items = fields.List(fields.Nested(Refund))


class BillingSettings(Schema):
    inactive_after_failed_days = fields.Int(
        required=True,
        allow_none=True,
        validate=Range(min=1, max=365),
        metadata={
            "description": "Set a client inactive once an invoice has been failed this many "
            "days; null: never (the default)"
        },
    )
