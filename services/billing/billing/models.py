"""The billing service's tables. Every row carries `agency_id`; every query filters by it.

Choices worth knowing:
- Money columns are BigInteger minor units beside a three-letter currency; never Numeric.
- An assignment is never edited: `end_date` may only move earlier (ending it), and
  `next_bill_on` is the run's cursor: the day its next invoice falls due (NULL: nothing left),
  so a run reads only the assignments that are due.
- `uq_invoices_assignment_period` makes a second invoice for one assignment and period
  impossible, whatever the code does; `uq_invoices_client_usage_month` the same for a client's
  re-billed usage of a month; `uq_invoices_agency_number` the same for numbers.
  Numbers come from `invoice_counters`, one row per agency locked for the issuing transaction.
- `client_facts` and `agency_facts` are what billing knows of other services' records, kept from
  their events (and `python -m billing.refresh_clients`), so a run asks no one anything.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit import vocabulary
from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, new_id, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


PAYMENT_METHODS, INVOICE_STATUSES = vocabulary.PAYMENT_METHODS, vocabulary.INVOICE_STATUSES


class CatalogService(TenantMixin, Base):
    """An item of the agency's catalog; billing terms belong to each assignment."""

    __tablename__ = "services"
    __table_args__ = (
        Index(
            "uq_services_agency_name_live",
            "agency_id",
            text("lower(name)"),
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    archived_at: Mapped[datetime | None]
    # The platform's own "Usage" service of re-billed usage lines: never listed nor assigned.
    built_in: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientFact(TenantMixin, Base):
    """A client as billing knows it from the clients service's events."""

    __tablename__ = "client_facts"

    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="active")
    archived: Mapped[bool] = mapped_column(default=False)
    # True once the agency chose the client's available services itself (else: those assigned).
    services_chosen: Mapped[bool] = mapped_column(default=False)
    # Whom invoices, receipts and card links reach (the clients service's billing contact).
    billing_contact_name: Mapped[str | None] = mapped_column(String(200))
    billing_email: Mapped[str | None] = mapped_column(String(320))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When the clients service said each fact (an event's `occurred_at`, or the moment billing
    # read the client over RPC): a fact said earlier never replaces one said later, whatever
    # order the events are handled in (facts.clients.remember_client).
    name_as_of: Mapped[datetime | None]
    status_as_of: Mapped[datetime | None]
    archived_as_of: Mapped[datetime | None]
    billing_as_of: Mapped[datetime | None]


class AgencyFact(Base):
    """An agency as billing knows it from identity: its time zone says what "today" is; its
    name and brand colour head its invoices."""

    __tablename__ = "agency_facts"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    brand_color: Mapped[str | None] = mapped_column(String(7))  # "#rrggbb", None: unbranded
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientService(TenantMixin, Base):
    """A catalog service the agency made available to a client's contacts."""

    __tablename__ = "client_services"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_facts.client_id"), primary_key=True
    )
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), primary_key=True)


class Assignment(TenantMixin, Base):
    """A service assigned to a client with its billing terms: immutable but for its end."""

    __tablename__ = "assignments"
    __table_args__ = (
        CheckConstraint("rate >= 0", name="ck_assignments_rate"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_assignments_end"),
        Index("ix_assignments_due", "agency_id", "next_bill_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"), index=True)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_facts.client_id"), index=True)
    payment_method: Mapped[str] = mapped_column(String(10))
    billing_type: Mapped[str] = mapped_column(String(30))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    rate: Mapped[int] = mapped_column(BigInteger)  # per cycle, per hour for hourly
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    note: Mapped[str] = mapped_column(Text, default="")
    # The last day of the last period invoiced (recurring and one-time); None before the first.
    billed_through: Mapped[date | None]
    next_bill_on: Mapped[date | None]
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_by: Mapped[str | None] = mapped_column(String(64))
    ended_at: Mapped[datetime | None]


class TimeNote(TenantMixin, Base):
    """Time a team member spent on an hourly assignment; fixed once its invoice is issued."""

    __tablename__ = "time_notes"
    __table_args__ = (CheckConstraint("minutes > 0", name="ck_time_notes_minutes"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    assignment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assignments.id"), index=True)
    work_date: Mapped[date]
    minutes: Mapped[int] = mapped_column(Integer)
    note: Mapped[str] = mapped_column(Text, default="")
    logged_by: Mapped[str | None] = mapped_column(String(64))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceCounter(Base):
    """The agency's last invoice number; its row is locked by whoever issues the next one."""

    __tablename__ = "invoice_counters"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Invoice(TenantMixin, Base):
    """An invoice: numbered per agency, for one assignment's period or a charge made now."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("agency_id", "number", name="uq_invoices_agency_number"),
        UniqueConstraint("assignment_id", "period_start", name="uq_invoices_assignment_period"),
        UniqueConstraint("client_id", "usage_month", name="uq_invoices_client_usage_month"),
        CheckConstraint("total >= 0", name="ck_invoices_total"),
        Index("ix_invoices_agency_status_issued", "agency_id", "status", "issued_on"),
        Index("ix_invoices_client", "client_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_facts.client_id"))
    client_name: Mapped[str] = mapped_column(String(200))
    assignment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("assignments.id"))
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    # A usage invoice: the first day of the month whose agency-funded usage it re-bills.
    usage_month: Mapped[date | None]
    issued_on: Mapped[date]
    due_on: Mapped[date]
    payment_method: Mapped[str] = mapped_column(String(10))
    currency: Mapped[str] = mapped_column(String(3))
    total: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10), default="open")
    note: Mapped[str] = mapped_column(Text, default="")
    failure_reason: Mapped[str | None] = mapped_column(Text)
    paid_at: Mapped[datetime | None]
    paid_method: Mapped[str | None] = mapped_column(String(30))
    paid_reference: Mapped[str | None] = mapped_column(String(200))
    voided_at: Mapped[datetime | None]
    # When a card was first declined for it (status failed); the overdue rule counts from it.
    failed_at: Mapped[datetime | None]
    # When `client_payment_overdue` was published for it (once per invoice).
    overdue_reported_at: Mapped[datetime | None]
    # Card invoices: the day the next charge attempt is due (None: none is).
    next_charge_on: Mapped[date | None] = mapped_column(index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceLine(TenantMixin, Base):
    """One line of an invoice's service breakdown."""

    __tablename__ = "invoice_lines"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    service_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("services.id"))
    service_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    period_start: Mapped[date | None]
    period_end: Mapped[date | None]
    minutes: Mapped[int | None] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(BigInteger)


class StripeAccount(Base):
    """The agency's own Stripe keys: the secret ones encrypted (kit.encryption), never shown."""

    __tablename__ = "stripe_accounts"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    publishable_key: Mapped[str] = mapped_column(String(200))
    secret_key_token: Mapped[str] = mapped_column(Text)
    secret_key_last4: Mapped[str] = mapped_column(String(4))
    webhook_secret_token: Mapped[str] = mapped_column(Text, default="")
    retry_days: Mapped[list[int]] = mapped_column(ARRAY(Integer), default=lambda: [3, 7])
    checked_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When Stripe refused the secret key (revoked, rolled, wrong): nothing is asked of the
    # agency's account until a working key is entered, which clears it.
    key_refused_at: Mapped[datetime | None]


class StripeCustomer(TenantMixin, Base):
    """A client's customer in the agency's Stripe account, and its saved card."""

    __tablename__ = "stripe_customers"

    client_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_facts.client_id"), primary_key=True
    )
    customer_id: Mapped[str] = mapped_column(String(100))
    payment_method_id: Mapped[str | None] = mapped_column(String(100))
    card_summary: Mapped[str] = mapped_column(String(100), default="")


class PaymentAttempt(TenantMixin, Base):
    """One try at charging an invoice's card, recorded (and committed) before Stripe is called.

    `pending` until its result is recorded; a pending attempt found later is a reply that was
    lost, reconciled from Stripe (by the key kept in the payment's metadata) before any new try.
    """

    __tablename__ = "payment_attempts"
    __table_args__ = (UniqueConstraint("invoice_id", "attempt", name="uq_attempts_invoice"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    payment_intent_id: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a caller last took the try over (made it, or settles it after a lost answer): its
    # call may be under way for the Stripe timeout and a margin from then (stripe_api.claim).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]


class StripeEvent(Base):
    """A webhook event already handled (by its Stripe id): a duplicate is ignored."""

    __tablename__ = "stripe_events"

    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    agency_id: Mapped[uuid.UUID] = mapped_column(index=True)
    event_type: Mapped[str] = mapped_column(String(100))
    created: Mapped[int] = mapped_column(BigInteger)  # Stripe's own time of the event
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class BillingSettings(Base):
    """The agency's billing settings that are not Stripe keys."""

    __tablename__ = "billing_settings"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    # Set a client inactive once one of its invoices has been failed this many days (None: off).
    inactive_after_failed_days: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class CardLink(TenantMixin, Base):
    """A card-update link e-mailed to a client's billing contact: the token's SHA-256 only,
    valid until `expires_at`, used once."""

    __tablename__ = "card_links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_facts.client_id"), index=True)
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Refund(TenantMixin, Base):
    """Money given back on a paid invoice: through Stripe for a card payment (recorded and
    committed before the call, key `refund:{invoice_id}:{n}`), by hand otherwise."""

    __tablename__ = "refunds"
    __table_args__ = (
        UniqueConstraint("invoice_id", "number", name="uq_refunds_invoice_number"),
        CheckConstraint("amount > 0", name="ck_refunds_amount"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(10))  # stripe | manual
    status: Mapped[str] = mapped_column(String(20), default="pending")
    stripe_refund_id: Mapped[str | None] = mapped_column(String(100))
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # When a caller last took the try over (made it, or settles it after a lost answer): its
    # call may be under way for the Stripe timeout and a margin from then (stripe_api.claim).
    claimed_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
