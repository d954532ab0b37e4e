"""The agency's platform subscription in the API: its state, the card setup, subscribing,
upgrading, renewals, the platform invoices, onboarding requests and deleting the account."""

from __future__ import annotations

from marshmallow import fields

from gateway.api.paging import Page
from gateway.api.schema_fields import IsoDate, Length, OneOf, Schema
from gateway.api.schemas import Money

SUBSCRIPTION_STATUSES = OneOf(["none", "active", "past_due", "unpaid", "canceled"])
PLAN_CODE = Length(min=1, max=40)


class PlanRef(Schema):
    code = fields.Str()
    name = fields.Str()


class Subscription(Schema):
    status = fields.Str(metadata={"enum": SUBSCRIPTION_STATUSES.choices})
    plan = fields.Nested(PlanRef, allow_none=True)
    price_per_user = fields.Nested(Money)
    current_period_start = fields.Str(allow_none=True)
    current_period_end = fields.Str(allow_none=True)
    cancel_at_period_end = fields.Bool()
    card = fields.Str(allow_none=True, metadata={"example": "visa ending 4242"})
    failed_renewals = fields.Int()
    next_retry_on = fields.Str(allow_none=True)
    publishable_key = fields.Str(metadata={"description": "The platform's, for Stripe.js"})


class SubscriptionCardSetup(Schema):
    setup_intent_id = fields.Str()
    client_secret = fields.Str()
    publishable_key = fields.Str()
    customer_id = fields.Str()


class SubscribeRequest(Schema):
    plan = fields.Str(required=True, validate=PLAN_CODE)
    setup_intent_id = fields.Str(required=True, validate=Length(min=1, max=255))


class SubscriptionCardRequest(Schema):
    setup_intent_id = fields.Str(required=True, validate=Length(min=1, max=255))


class UpgradeRequest(Schema):
    plan = fields.Str(required=True, validate=PLAN_CODE)


class RenewalRequest(Schema):
    as_of = IsoDate(required=True, metadata={"description": "Not later than today"})


class Renewal(Schema):
    as_of = fields.Str()
    outcome = fields.Str(
        metadata={"enum": ["not_due", "renewed", "failed", "unpaid", "ended", "unknown"]}
    )
    subscription = fields.Nested(Subscription)


class PlatformInvoice(Schema):
    id = fields.Str()
    number = fields.Int()
    kind = fields.Str(metadata={"enum": ["subscription", "renewal", "upgrade"]})
    description = fields.Str()
    plan = fields.Nested(PlanRef)
    users = fields.Int(metadata={"description": "Active users charged for"})
    unit_price = fields.Nested(Money)
    days = fields.Int(metadata={"description": "Days of the 30-day period charged"})
    amount = fields.Nested(Money)
    period_start = fields.Str()
    period_end = fields.Str()
    issued_on = fields.Str()
    status = fields.Str(metadata={"enum": ["open", "paid", "failed", "void"]})
    failure_reason = fields.Str(allow_none=True)
    paid_at = fields.Str(allow_none=True)


class PlatformInvoicePage(Page):
    items = fields.List(fields.Nested(PlatformInvoice))


class OnboardingRequest(Schema):
    message = fields.Str(allow_none=True, validate=Length(max=2000))
    phone = fields.Str(allow_none=True, validate=Length(max=40))


class OnboardingRequested(Schema):
    requested = fields.Bool()
    email = fields.Str()


class DeleteAgencyRequest(Schema):
    password = fields.Str(required=True, validate=Length(min=1, max=1000), load_only=True)


class AgencyDeleted(Schema):
    deleted = fields.Bool()
    agency_id = fields.Str()
