"""The balances part of the API's schemas: accounts and funding, usage, top-ups, transfers.
Money is integer minor units (1250 is 12.50), strictly: 12.5 or "100" is refused, never
rounded. The billing service checks the rules that need its records (the balance covers a draw,
an idempotency key is the same request)."""

from __future__ import annotations

from marshmallow import fields

from gateway.api.paging import Page, PageQuery
from gateway.api.schema_fields import Email, Id, Length, OneOf, Range, Schema
from gateway.api.schemas import Money

# Minor units: up to ten million in the major unit, as billing's other amounts.
POSITIVE = Range(min=1, max=1_000_000_000)
TOPUP = Range(min=2500, max=1_000_000_000)  # a card payment into a balance: at least $25
KEY = Length(min=1, max=200)
FUNDED_BY = ["agency", "customer"]


class FundingRequest(Schema):
    id = fields.Str()
    client_id = fields.Str()
    email = fields.Str()
    starting_balance = fields.Nested(Money)
    message = fields.Str()
    status = fields.Str(metadata={"enum": ["pending", "completed", "cancelled"]})
    expires_at = fields.Str()
    sent_count = fields.Int()
    created_at = fields.Str()


class Funding(Schema):
    client_id = fields.Str()
    client_name = fields.Str()
    funded_by = fields.Str(metadata={"enum": FUNDED_BY})
    usage_paused = fields.Bool()
    balance = fields.Nested(Money)
    customer_email = fields.Str(allow_none=True)
    pending_request = fields.Nested(FundingRequest, allow_none=True)


class AccountList(Schema):
    agency_balance = fields.Nested(Money)
    items = fields.List(fields.Nested(Funding))


class FundingRequestCreate(Schema):
    email = Email(required=True)
    starting_balance = fields.Int(
        required=True, strict=True, validate=TOPUP, metadata={"description": "At least 2500 ($25)"}
    )
    message = fields.Str(load_default="", validate=Length(max=2000))


class UsageRequest(Schema):
    amount = fields.Int(required=True, strict=True, validate=POSITIVE)
    description = fields.Str(load_default="", validate=Length(max=500))
    idempotency_key = fields.Str(
        required=True,
        validate=KEY,
        metadata={"description": "The same key again records once and answers the same"},
    )


class Usage(Schema):
    usage_id = fields.Str()
    client_id = fields.Str()
    client_name = fields.Str()
    funded_by = fields.Str(metadata={"enum": FUNDED_BY})
    amount = fields.Nested(Money)
    description = fields.Str()
    recorded_on = fields.Str()
    balance_after = fields.Nested(Money)


class UsageItem(Schema):
    usage_id = fields.Str()
    client_id = fields.Str()
    funded_by = fields.Str(metadata={"enum": FUNDED_BY})
    amount = fields.Nested(Money)
    description = fields.Str()
    idempotency_key = fields.Str()
    recorded_on = fields.Str()
    created_at = fields.Str()


class UsagePage(Page):
    items = fields.List(fields.Nested(UsageItem))


class BalanceAccount(Schema):
    account = fields.Str(metadata={"description": "agency, a client id, or a system account"})
    kind = fields.Str()
    client_id = fields.Str(allow_none=True)
    balance = fields.Nested(Money)


class AgencyCard(Schema):
    card = fields.Str(metadata={"example": "visa ending 4242"})


class Balances(Schema):
    agency = fields.Nested(BalanceAccount)
    clients = fields.List(fields.Nested(BalanceAccount))
    system = fields.List(fields.Nested(BalanceAccount))
    low_threshold = fields.Nested(Money)
    auto_recharge_amount = fields.Nested(Money, allow_none=True)
    card = fields.Str(allow_none=True, metadata={"description": "The agency's top-up card"})


class BalanceSettingsRequest(Schema):
    low_threshold = fields.Int(
        required=True,
        strict=True,
        validate=Range(min=0, max=1_000_000_000),
        metadata={"description": "0: no low-balance e-mail"},
    )
    auto_recharge_amount = fields.Int(
        allow_none=True, load_default=None, strict=True, validate=Range(min=0, max=1_000_000_000)
    )


class BalanceSettings(Schema):
    low_threshold = fields.Nested(Money)
    auto_recharge_amount = fields.Nested(Money, allow_none=True)


REBILLING_MODES = ["off", "at_cost", "markup"]


class UsageRebillingRequest(Schema):
    mode = fields.Str(
        required=True,
        validate=OneOf(REBILLING_MODES),
        metadata={"description": "off: not billed; at_cost; markup: plus markup_basis_points"},
    )
    markup_basis_points = fields.Int(
        allow_none=True,
        load_default=None,
        strict=True,
        validate=Range(min=0, max=100_000),
        metadata={"description": "Only with mode markup: 1250 is 12.5% (0 to 100000: 1000%)"},
    )


class UsageRebilling(Schema):
    mode = fields.Str(metadata={"enum": REBILLING_MODES})
    markup_basis_points = fields.Int()


class CardTopUpRequest(Schema):
    amount = fields.Int(required=True, strict=True, validate=TOPUP)
    idempotency_key = fields.Str(required=True, validate=KEY)
    client_id = Id(allow_none=True, load_default=None)


class ManualCreditRequest(Schema):
    amount = fields.Int(required=True, strict=True, validate=POSITIVE)
    reference = fields.Str(required=True, validate=Length(min=1, max=200))
    idempotency_key = fields.Str(required=True, validate=KEY)
    client_id = Id(allow_none=True, load_default=None)


class TopUp(Schema):
    transfer_id = fields.Str()
    account = fields.Str(metadata={"enum": ["agency", "client"]})
    client_id = fields.Str(allow_none=True)
    amount = fields.Nested(Money)
    method = fields.Str(metadata={"enum": ["card", "manual"]})
    balance_after = fields.Nested(Money)


class BalanceRefundRequest(Schema):
    idempotency_key = fields.Str(required=True, validate=KEY)
    amount = fields.Int(
        allow_none=True,
        load_default=None,
        strict=True,
        validate=POSITIVE,
        metadata={"description": "null: all"},
    )
    reference = fields.Str(load_default="", validate=Length(max=200))


class BalanceRefundPart(Schema):
    method = fields.Str(
        metadata={
            "enum": ["stripe", "manual"],
            "description": "stripe: refunded to the card payment; manual: paid back by hand",
        }
    )
    payment_intent_id = fields.Str(allow_none=True)
    amount = fields.Nested(Money)
    status = fields.Str(metadata={"enum": ["pending", "succeeded", "failed"]})
    stripe_refund_id = fields.Str(allow_none=True)
    failure_reason = fields.Str(allow_none=True)


class BalanceRefund(Schema):
    refund_id = fields.Str()
    transfer_id = fields.Str(allow_none=True)
    client_id = fields.Str()
    amount = fields.Nested(Money)
    refunded = fields.Nested(Money)
    status = fields.Str(metadata={"enum": ["succeeded", "partial"]})
    reference = fields.Str()
    balance_after = fields.Nested(Money)
    parts = fields.List(fields.Nested(BalanceRefundPart))


class Transfer(Schema):
    id = fields.Str()
    kind = fields.Str()
    amount = fields.Nested(Money)
    direction = fields.Str(metadata={"enum": ["in", "out"]})
    balance_after = fields.Nested(Money)
    client_id = fields.Str(allow_none=True)
    description = fields.Str()
    reference = fields.Str()
    idempotency_key = fields.Str()
    recorded_on = fields.Str()
    created_by = fields.Str(allow_none=True)
    created_at = fields.Str()


class TransferPage(Page):
    account = fields.Str()
    items = fields.List(fields.Nested(Transfer))


class TransferQuery(PageQuery):
    pass
