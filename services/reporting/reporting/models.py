"""The reporting service's read models, kept from other services' events (and rebuilt over RPC).

Choices worth knowing:
- `invoice_facts` keeps each invoice's whole state as reporting knows it (what it was issued for,
  when it was paid, failed, voided, refunded). Whatever order its events come in, the invoice's
  contributions to the revenue tables are recomputed from that state and only the difference is
  applied (reporting/revenue.py), so a paid-before-issued pair ends where issued-then-paid does.
- `revenue_days` is the grain (agency, day, client, service, currency); the `revenue_*`
  roll-ups carry the same sums without client and/or service (and per service by month), so the
  dashboard sums a few thousand rows for any date range, whatever the number of invoice lines
  behind them.
  Measures: `issued`, `paid`, `voided` and `refunded` on the day it happened (the agency's day);
  `open` and `failed` are the invoice's current status, on its issue day.
- Client history (`client_changes`) is every event of a client with its time; the current row
  (`client_facts`) is replayed from it, so a late event lands in its place.
- Money is BigInteger minor units beside a currency code.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import BigInteger, Index, Integer, PrimaryKeyConstraint, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


MEASURES = ("issued", "paid", "open", "failed", "voided", "refunded")


class AgencyFact(Base):
    """An agency's time zone, from identity: it says on which day a payment fell."""

    __tablename__ = "agency_facts"

    agency_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceFact(TenantMixin, Base):
    """One invoice as its events told it; `issued` false until `invoice_issued` is seen."""

    __tablename__ = "invoice_facts"
    __table_args__ = (
        Index("ix_invoice_facts_agency_status_due", "agency_id", "status", "due_on"),
        Index("ix_invoice_facts_agency_client_issued", "agency_id", "client_id", "issued_on"),
    )

    invoice_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(Integer)
    client_id: Mapped[uuid.UUID]
    client_name: Mapped[str] = mapped_column(String(200), default="")
    currency: Mapped[str] = mapped_column(String(3), default="USD")
    total: Mapped[int] = mapped_column(BigInteger, default=0)
    issued: Mapped[bool] = mapped_column(default=False)
    issued_on: Mapped[date | None]
    due_on: Mapped[date | None]
    # [{"service_id", "service_name", "amount"}]: the service breakdown, amounts in minor units.
    lines: Mapped[list] = mapped_column(JSONB, default=list)
    paid_on: Mapped[date | None]
    failed_on: Mapped[date | None]
    voided_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(10), default="open")
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RefundFact(TenantMixin, Base):
    """A refund of (part of) a paid invoice."""

    __tablename__ = "refund_facts"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "refund_id"),)

    refund_id: Mapped[str] = mapped_column(String(100))
    invoice_id: Mapped[uuid.UUID] = mapped_column(index=True)
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    refunded_on: Mapped[date]


class RevenueDay(TenantMixin, Base):
    """Sums of invoice lines per agency day, client, service and currency."""

    __tablename__ = "revenue_days"
    __table_args__ = (
        PrimaryKeyConstraint("agency_id", "day", "client_id", "service_id", "currency"),
        Index("ix_revenue_days_client", "agency_id", "client_id", "day"),
    )

    day: Mapped[date] = mapped_column()
    client_id: Mapped[uuid.UUID] = mapped_column()
    service_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    open: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class RevenueClientDay(TenantMixin, Base):
    """`revenue_days` summed over services."""

    __tablename__ = "revenue_client_days"
    __table_args__ = (
        PrimaryKeyConstraint("agency_id", "day", "client_id", "currency"),
        Index("ix_revenue_client_days_client", "agency_id", "client_id", "day"),
    )

    day: Mapped[date] = mapped_column()
    client_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    open: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class RevenueServiceDay(TenantMixin, Base):
    """`revenue_days` summed over clients."""

    __tablename__ = "revenue_service_days"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "day", "service_id", "currency"),)

    day: Mapped[date] = mapped_column()
    service_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    open: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class RevenueServiceMonth(TenantMixin, Base):
    """`revenue_service_days` summed per calendar month (`month`: its first day): the dashboard's
    revenue by service reads whole months here and only the range's partial months by day."""

    __tablename__ = "revenue_service_months"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "month", "service_id", "currency"),)

    month: Mapped[date] = mapped_column()
    service_id: Mapped[uuid.UUID] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    open: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class RevenueTotalDay(TenantMixin, Base):
    """`revenue_days` summed over clients and services."""

    __tablename__ = "revenue_total_days"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "day", "currency"),)

    day: Mapped[date] = mapped_column()
    currency: Mapped[str] = mapped_column(String(3))
    issued: Mapped[int] = mapped_column(BigInteger, default=0)
    paid: Mapped[int] = mapped_column(BigInteger, default=0)
    open: Mapped[int] = mapped_column(BigInteger, default=0)
    failed: Mapped[int] = mapped_column(BigInteger, default=0)
    voided: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded: Mapped[int] = mapped_column(BigInteger, default=0)


class ServiceName(TenantMixin, Base):
    """The name a catalog service last had in an event."""

    __tablename__ = "service_names"

    service_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))


class ClientChange(TenantMixin, Base):
    """One event of a client (created, status changed, archived, restored, updated)."""

    __tablename__ = "client_changes"
    __table_args__ = (Index("ix_client_changes_client", "agency_id", "client_id", "occurred_at"),)

    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID]
    occurred_at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(20))  # created|status|archived|restored|named
    name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str | None] = mapped_column(String(20))


class ClientFact(TenantMixin, Base):
    """A client's state now, replayed from its changes."""

    __tablename__ = "client_facts"

    client_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(20), default="active")
    archived: Mapped[bool] = mapped_column(default=False)
    created_on: Mapped[date | None]
    archived_on: Mapped[date | None]


class AssignmentFact(TenantMixin, Base):
    """An assignment as its latest event told it (deleted ones stay, marked)."""

    __tablename__ = "assignment_facts"

    assignment_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    service_id: Mapped[uuid.UUID]
    billing_type: Mapped[str] = mapped_column(String(30))
    rate: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    start_date: Mapped[date]
    end_date: Mapped[date | None]
    deleted: Mapped[bool] = mapped_column(default=False)
    version: Mapped[datetime]


class UsageFact(TenantMixin, Base):
    """A use of a prepaid balance, from balances' `usage_recorded`."""

    __tablename__ = "usage_facts"
    __table_args__ = (
        PrimaryKeyConstraint("agency_id", "usage_id"),
        Index("ix_usage_facts_agency_day", "agency_id", "recorded_on"),
    )

    usage_id: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[uuid.UUID | None]
    client_name: Mapped[str] = mapped_column(String(200), default="")
    funded_by: Mapped[str] = mapped_column(String(20))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(500), default="")
    recorded_on: Mapped[date]


class BalanceFact(TenantMixin, Base):
    """An account's balance after its latest movement (`account`: "agency" or a client id)."""

    __tablename__ = "balance_facts"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "account"),)

    account: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[uuid.UUID | None]
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    as_of: Mapped[datetime]


class DashboardLayout(TenantMixin, Base):
    """A team member's dashboard: the widgets in their order, each shown or hidden."""

    __tablename__ = "dashboard_layouts"
    __table_args__ = (PrimaryKeyConstraint("agency_id", "user_id"),)

    user_id: Mapped[str] = mapped_column(String(64))
    # [{"id": widget id, "visible": bool}]
    widgets: Mapped[list] = mapped_column(JSONB)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
