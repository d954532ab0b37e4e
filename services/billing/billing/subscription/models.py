"""The platform subscription's tables (in billing's metadata, so its migrations and the erasure
of a deleted agency cover them).

- `platform_subscriptions`: one row per agency that started a card setup; `status` `none` until
  the first charge succeeds, then `active`, `past_due` (a renewal declined, retries left),
  `unpaid` (retries exhausted) or `canceled` (a cancel took effect at the period's end).
  `version` numbers the events it publishes, so identity applies them in order.
- `platform_invoices`: what the agency was charged (or is owed), numbered per agency.
- `platform_charges`: each try at Stripe, recorded and committed before the call with the
  idempotency key `platform-charge:{invoice_id}:{attempt}`.
- `platform_customer_deletions`: Stripe customers of deleted agencies still to remove at Stripe
  (no agency column: nothing of the agency stays once it is erased).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from billing.models import Base
from kit.db import TenantMixin, new_id, utcnow

SUBSCRIPTION_STATUSES = ("none", "active", "past_due", "unpaid", "canceled")
INVOICE_KINDS = ("subscription", "renewal", "upgrade")


class PlatformSubscription(Base):
    __tablename__ = "platform_subscriptions"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="none")
    plan_code: Mapped[str | None] = mapped_column(String(40))
    plan_name: Mapped[str | None] = mapped_column(String(100))
    price_per_user: Mapped[int] = mapped_column(BigInteger, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    customer_id: Mapped[str] = mapped_column(String(255))
    payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_summary: Mapped[str | None] = mapped_column(String(100))
    current_period_start: Mapped[date | None]
    current_period_end: Mapped[date | None]
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    canceled_at: Mapped[datetime | None]
    failed_renewals: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_on: Mapped[date | None]
    version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlatformInvoice(TenantMixin, Base):
    __tablename__ = "platform_invoices"
    __table_args__ = (
        UniqueConstraint("agency_id", "number", name="uq_platform_invoices_agency_number"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    plan_code: Mapped[str] = mapped_column(String(40))
    plan_name: Mapped[str] = mapped_column(String(100))
    users: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(BigInteger)
    days: Mapped[int] = mapped_column(Integer)  # days of the period charged (30, fewer: upgrade)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    period_start: Mapped[date]
    period_end: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="open")  # open|paid|failed|void
    failure_reason: Mapped[str | None] = mapped_column(Text)
    issued_on: Mapped[date]
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class PlatformCharge(TenantMixin, Base):
    __tablename__ = "platform_charges"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("platform_invoices.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|succeeded|failed
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a caller last took the try over (made it, or settles it after a lost answer): its
    # call may be under way for the Stripe timeout and a margin from then (stripe_api.claim).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class PlatformCustomerDeletion(Base):
    __tablename__ = "platform_customer_deletions"

    customer_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
