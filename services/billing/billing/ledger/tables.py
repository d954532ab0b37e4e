"""The ledger's tables: accounts, immutable transfers between them, each client's funding, the
agency's balance settings, card top-up attempts and funding switch requests.

What the database itself guarantees (migration 0010_balances_ledger):
- A transfer is never changed or deleted (a trigger refuses UPDATE and DELETE), moves an amount
  > 0 between two different accounts of one agency, and its idempotency key is UNIQUE per agency.
- An AFTER INSERT trigger on `ledger_transfers` moves the amount on the two accounts' stored
  balances in the inserting transaction (the UPDATE takes the row lock), so a stored balance is
  always the sum of the account's transfers. A balance account (the agency's, a client's) has
  CHECK balance >= 0: no code path can take it below zero. System accounts (card top-ups, usage,
  adjustments, refunds) keep no stored balance (NULL): they are the other side of every entry,
  may be negative, and summing them on read keeps them from being one hot row per agency.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from billing.models import Base
from kit.db import TenantMixin, new_id, utcnow

AGENCY, CLIENT = "agency", "client"
CARD_TOPUPS, USAGE, ADJUSTMENTS, REFUNDS = "card_topups", "usage", "adjustments", "refunds"
BALANCE_KINDS = (AGENCY, CLIENT)
SYSTEM_KINDS = (CARD_TOPUPS, USAGE, ADJUSTMENTS, REFUNDS)
ACCOUNT_KINDS = BALANCE_KINDS + SYSTEM_KINDS
TRANSFER_KINDS = ("topup", "manual_credit", "usage", "funding_move", "refund", "adjustment")


class LedgerAccount(TenantMixin, Base):
    """A balance (the agency's, one per client) or a system account of one agency."""

    __tablename__ = "ledger_accounts"
    __table_args__ = (
        CheckConstraint(
            "(kind IN ('agency', 'client') AND balance IS NOT NULL AND balance >= 0) OR "
            "(kind NOT IN ('agency', 'client') AND balance IS NULL)",
            name="ck_ledger_accounts_balance",
        ),
        CheckConstraint("(kind = 'client') = (client_id IS NOT NULL)", name="ck_ledger_client"),
        Index(
            "uq_ledger_accounts_agency_kind",
            "agency_id",
            "kind",
            unique=True,
            postgresql_where=text("client_id IS NULL"),
        ),
        Index("uq_ledger_accounts_client", "client_id", unique=True),
        UniqueConstraint("id", "agency_id", name="uq_ledger_accounts_id_agency"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[uuid.UUID | None]
    balance: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    # Set when `balance_low` went out; cleared when the balance is back at the threshold.
    low_notified: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class LedgerTransfer(TenantMixin, Base):
    """One immutable movement of money between two accounts of one agency."""

    __tablename__ = "ledger_transfers"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_ledger_transfers_amount"),
        CheckConstraint("from_account_id <> to_account_id", name="ck_ledger_transfers_sides"),
        # Both sides are accounts of the transfer's own agency.
        ForeignKeyConstraint(
            ["from_account_id", "agency_id"], ["ledger_accounts.id", "ledger_accounts.agency_id"]
        ),
        ForeignKeyConstraint(
            ["to_account_id", "agency_id"], ["ledger_accounts.id", "ledger_accounts.agency_id"]
        ),
        Index("uq_ledger_transfers_key", "agency_id", "idempotency_key", unique=True),
        Index("ix_ledger_transfers_from", "from_account_id", "seq"),
        Index("ix_ledger_transfers_to", "to_account_id", "seq"),
        Index(
            "ix_ledger_transfers_usage_day",
            "agency_id",
            "recorded_on",
            postgresql_where=text("kind = 'usage'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Order of entry: the running balance of an account is summed along it.
    seq: Mapped[int] = mapped_column(
        BigInteger, server_default=text("nextval('ledger_transfers_seq')")
    )
    from_account_id: Mapped[uuid.UUID]
    to_account_id: Mapped[uuid.UUID]
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    kind: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[uuid.UUID | None]  # the client the entry is about, if any
    description: Mapped[str] = mapped_column(Text, default="")
    reference: Mapped[str] = mapped_column(String(200), default="")
    idempotency_key: Mapped[str] = mapped_column(String(200))
    recorded_on: Mapped[date]
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientFunding(TenantMixin, Base):
    """Who funds a client's usage, and whether its usage is paused for want of balance."""

    __tablename__ = "client_funding"
    __table_args__ = (
        CheckConstraint("funded_by IN ('agency', 'customer')", name="ck_client_funding_by"),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    funded_by: Mapped[str] = mapped_column(String(20), default=AGENCY)
    usage_paused: Mapped[bool] = mapped_column(default=False)
    customer_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class BalanceSettings(Base):
    """An agency's low-balance threshold, optional auto-recharge and usage re-billing."""

    __tablename__ = "balance_settings"
    __table_args__ = (
        CheckConstraint(
            "usage_rebilling IN ('off', 'at_cost', 'markup') "
            "AND rebill_markup_bp BETWEEN 0 AND 100000",
            name="ck_balance_settings_rebilling",
        ),
    )

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    low_threshold: Mapped[int] = mapped_column(BigInteger, default=0)
    auto_recharge_amount: Mapped[int | None] = mapped_column(BigInteger)
    # The agency's own card, saved in its own Stripe account, for top-ups of its balance.
    stripe_customer_id: Mapped[str | None] = mapped_column(String(100))
    payment_method_id: Mapped[str | None] = mapped_column(String(100))
    card_summary: Mapped[str] = mapped_column(String(100), default="", server_default="")
    # Agency-funded usage on the client's monthly invoice: off, at_cost or markup (basis points).
    usage_rebilling: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    rebill_markup_bp: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopupAttempt(TenantMixin, Base):
    """A card top-up: recorded (pending) and committed before Stripe is called, then finished."""

    __tablename__ = "topup_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ledger_accounts.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payment_intent_id: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    transfer_id: Mapped[uuid.UUID | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a caller last took the try over (made it, tried the same key again): its call may be
    # under way for the Stripe timeout and a margin from then (stripe_api.claim).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)


class FundingRequest(TenantMixin, Base):
    """A request that a client's customer fund its own usage: an expiring, single-use link."""

    __tablename__ = "funding_requests"
    __table_args__ = (
        Index(
            "uq_funding_requests_pending",
            "client_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID]
    email: Mapped[str] = mapped_column(String(320))
    starting_balance: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # SHA-256 of the link's random token (kit.ids.hash_token); a resend replaces it.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    sent_count: Mapped[int] = mapped_column(default=1)
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class BalanceRefund(TenantMixin, Base):
    """A refund of (part of) a customer's unused balance (ledger/balance_refunds.py): one request
    under the caller's idempotency key, split into parts, one per card payment it goes back to."""

    __tablename__ = "balance_refunds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID]
    # `balance-refund:{agency}:{caller's key}`
    idempotency_key: Mapped[str] = mapped_column(String(250), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reference: Mapped[str] = mapped_column(String(200), default="")
    # pending (a part waits for Stripe's answer) | succeeded | partial | failed
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_by: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class BalanceRefundPart(TenantMixin, Base):
    """The share of a balance refund that goes back to one card payment (a Stripe Refund on its
    PaymentIntent, `method` stripe) or, past what card payments funded, by hand (`manual`). Its
    amount leaves the balance when the part is recorded; a part Stripe refuses comes back."""

    __tablename__ = "balance_refund_parts"
    __table_args__ = (
        CheckConstraint("amount > 0", name="ck_balance_refund_parts_amount"),
        Index("ix_balance_refund_parts_topup", "topup_attempt_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    refund_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("balance_refunds.id"), index=True)
    number: Mapped[int]
    method: Mapped[str] = mapped_column(String(20))  # stripe | manual
    topup_attempt_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("topup_attempts.id"))
    payment_intent_id: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[int] = mapped_column(BigInteger)
    # `balance-refund:{refund id}:{number}`: Stripe's idempotency key and the refund's metadata.
    stripe_key: Mapped[str] = mapped_column(String(250), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|succeeded|failed
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    transfer_id: Mapped[uuid.UUID | None]  # the balance's debit
    return_transfer_id: Mapped[uuid.UUID | None]  # the debit given back when Stripe refused
    # When a caller last took the try over (made it, or settles it after a lost answer): its
    # call may be under way for the Stripe timeout and a margin from then (stripe_api.claim).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
