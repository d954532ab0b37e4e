"""reporting read models and the kit tables

Revision ID: 0001_reporting
Revises:
Create Date: 2026-11-29 05:07:26.534729
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kit.migrations import create_kit_tables_v1, drop_kit_tables_v1

revision: str = "0001_reporting"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_facts",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "assignment_facts",
        sa.Column("assignment_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("billing_type", sa.String(length=30), nullable=False),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("version", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("assignment_id"),
    )
    op.create_index(
        op.f("ix_assignment_facts_agency_id"), "assignment_facts", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_assignment_facts_client_id"), "assignment_facts", ["client_id"], unique=False
    )
    op.create_table(
        "balance_facts",
        sa.Column("account", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "account"),
    )
    op.create_index(
        op.f("ix_balance_facts_agency_id"), "balance_facts", ["agency_id"], unique=False
    )
    op.create_table(
        "client_changes",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index(
        op.f("ix_client_changes_agency_id"), "client_changes", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_client_changes_client",
        "client_changes",
        ["agency_id", "client_id", "occurred_at"],
        unique=False,
    )
    op.create_table(
        "client_facts",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_on", sa.Date(), nullable=True),
        sa.Column("archived_on", sa.Date(), nullable=True),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index(op.f("ix_client_facts_agency_id"), "client_facts", ["agency_id"], unique=False)
    op.create_table(
        "dashboard_layouts",
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("widgets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "user_id"),
    )
    op.create_index(
        op.f("ix_dashboard_layouts_agency_id"), "dashboard_layouts", ["agency_id"], unique=False
    )
    op.create_table(
        "invoice_facts",
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("issued", sa.Boolean(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("lines", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("failed_on", sa.Date(), nullable=True),
        sa.Column("voided_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("invoice_id"),
    )
    op.create_index(
        "ix_invoice_facts_agency_client_issued",
        "invoice_facts",
        ["agency_id", "client_id", "issued_on"],
        unique=False,
    )
    op.create_index(
        op.f("ix_invoice_facts_agency_id"), "invoice_facts", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_invoice_facts_agency_status_due",
        "invoice_facts",
        ["agency_id", "status", "due_on"],
        unique=False,
    )
    op.create_table(
        "refund_facts",
        sa.Column("refund_id", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("refunded_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "refund_id"),
    )
    op.create_index(op.f("ix_refund_facts_agency_id"), "refund_facts", ["agency_id"], unique=False)
    op.create_index(
        op.f("ix_refund_facts_invoice_id"), "refund_facts", ["invoice_id"], unique=False
    )
    op.create_table(
        "revenue_client_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "day", "client_id", "currency"),
    )
    op.create_index(
        op.f("ix_revenue_client_days_agency_id"), "revenue_client_days", ["agency_id"], unique=False
    )
    op.create_index(
        "ix_revenue_client_days_client",
        "revenue_client_days",
        ["agency_id", "client_id", "day"],
        unique=False,
    )
    op.create_table(
        "revenue_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "day", "client_id", "service_id", "currency"),
    )
    op.create_index(op.f("ix_revenue_days_agency_id"), "revenue_days", ["agency_id"], unique=False)
    op.create_index(
        "ix_revenue_days_client", "revenue_days", ["agency_id", "client_id", "day"], unique=False
    )
    op.create_table(
        "revenue_service_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "day", "service_id", "currency"),
    )
    op.create_index(
        op.f("ix_revenue_service_days_agency_id"),
        "revenue_service_days",
        ["agency_id"],
        unique=False,
    )
    op.create_table(
        "revenue_service_months",
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "month", "service_id", "currency"),
    )
    op.create_index(
        op.f("ix_revenue_service_months_agency_id"),
        "revenue_service_months",
        ["agency_id"],
        unique=False,
    )
    op.create_table(
        "revenue_total_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("issued", sa.BigInteger(), nullable=False),
        sa.Column("paid", sa.BigInteger(), nullable=False),
        sa.Column("open", sa.BigInteger(), nullable=False),
        sa.Column("failed", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.BigInteger(), nullable=False),
        sa.Column("refunded", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "day", "currency"),
    )
    op.create_index(
        op.f("ix_revenue_total_days_agency_id"), "revenue_total_days", ["agency_id"], unique=False
    )
    op.create_table(
        "service_names",
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("service_id"),
    )
    op.create_index(
        op.f("ix_service_names_agency_id"), "service_names", ["agency_id"], unique=False
    )
    op.create_table(
        "usage_facts",
        sa.Column("usage_id", sa.String(length=100), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("funded_by", sa.String(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id", "usage_id"),
    )
    op.create_index(
        "ix_usage_facts_agency_day", "usage_facts", ["agency_id", "recorded_on"], unique=False
    )
    op.create_index(op.f("ix_usage_facts_agency_id"), "usage_facts", ["agency_id"], unique=False)
    create_kit_tables_v1()


def downgrade() -> None:
    drop_kit_tables_v1()
    op.drop_index(op.f("ix_usage_facts_agency_id"), table_name="usage_facts")
    op.drop_index("ix_usage_facts_agency_day", table_name="usage_facts")
    op.drop_table("usage_facts")
    op.drop_index(op.f("ix_service_names_agency_id"), table_name="service_names")
    op.drop_table("service_names")
    op.drop_index(op.f("ix_revenue_total_days_agency_id"), table_name="revenue_total_days")
    op.drop_table("revenue_total_days")
    op.drop_index(op.f("ix_revenue_service_months_agency_id"), table_name="revenue_service_months")
    op.drop_table("revenue_service_months")
    op.drop_index(op.f("ix_revenue_service_days_agency_id"), table_name="revenue_service_days")
    op.drop_table("revenue_service_days")
    op.drop_index("ix_revenue_days_client", table_name="revenue_days")
    op.drop_index(op.f("ix_revenue_days_agency_id"), table_name="revenue_days")
    op.drop_table("revenue_days")
    op.drop_index("ix_revenue_client_days_client", table_name="revenue_client_days")
    op.drop_index(op.f("ix_revenue_client_days_agency_id"), table_name="revenue_client_days")
    op.drop_table("revenue_client_days")
    op.drop_index(op.f("ix_refund_facts_invoice_id"), table_name="refund_facts")
    op.drop_index(op.f("ix_refund_facts_agency_id"), table_name="refund_facts")
    op.drop_table("refund_facts")
    op.drop_index("ix_invoice_facts_agency_status_due", table_name="invoice_facts")
    op.drop_index(op.f("ix_invoice_facts_agency_id"), table_name="invoice_facts")
    op.drop_index("ix_invoice_facts_agency_client_issued", table_name="invoice_facts")
    op.drop_table("invoice_facts")
    op.drop_index(op.f("ix_dashboard_layouts_agency_id"), table_name="dashboard_layouts")
    op.drop_table("dashboard_layouts")
    op.drop_index(op.f("ix_client_facts_agency_id"), table_name="client_facts")
    op.drop_table("client_facts")
    op.drop_index("ix_client_changes_client", table_name="client_changes")
    op.drop_index(op.f("ix_client_changes_agency_id"), table_name="client_changes")
    op.drop_table("client_changes")
    op.drop_index(op.f("ix_balance_facts_agency_id"), table_name="balance_facts")
    op.drop_table("balance_facts")
    op.drop_index(op.f("ix_assignment_facts_client_id"), table_name="assignment_facts")
    op.drop_index(op.f("ix_assignment_facts_agency_id"), table_name="assignment_facts")
    op.drop_table("assignment_facts")
    op.drop_table("agency_facts")
