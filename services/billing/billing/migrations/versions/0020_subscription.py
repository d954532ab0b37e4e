"""the agency's platform subscription: subscriptions, invoices, charges, customers to delete

Revision ID: 0020_subscription
Revises: 0010_balances_ledger
Create Date: 2026-11-29 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020_subscription"
down_revision: str | None = "0010_balances_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "platform_subscriptions",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("plan_code", sa.String(40), nullable=True),
        sa.Column("plan_name", sa.String(100), nullable=True),
        sa.Column("price_per_user", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("payment_method_id", sa.String(255), nullable=True),
        sa.Column("card_summary", sa.String(100), nullable=True),
        sa.Column("current_period_start", sa.Date(), nullable=True),
        sa.Column("current_period_end", sa.Date(), nullable=True),
        sa.Column("cancel_at_period_end", sa.Boolean(), nullable=False),
        sa.Column("canceled_at", TZ, nullable=True),
        sa.Column("failed_renewals", sa.Integer(), nullable=False),
        sa.Column("next_retry_on", sa.Date(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "platform_invoices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("plan_code", sa.String(40), nullable=False),
        sa.Column("plan_name", sa.String(100), nullable=False),
        sa.Column("users", sa.Integer(), nullable=False),
        sa.Column("unit_price", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("paid_at", TZ, nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "number", name="uq_platform_invoices_agency_number"),
    )
    op.create_index("ix_platform_invoices_agency_id", "platform_invoices", ["agency_id"])
    op.create_table(
        "platform_charges",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(120), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("payment_intent_id", sa.String(255), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.ForeignKeyConstraint(["invoice_id"], ["platform_invoices.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_platform_charges_agency_id", "platform_charges", ["agency_id"])
    op.create_index("ix_platform_charges_invoice_id", "platform_charges", ["invoice_id"])
    op.create_table(
        "platform_customer_deletions",
        sa.Column("customer_id", sa.String(255), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )


def downgrade() -> None:
    op.drop_table("platform_customer_deletions")
    op.drop_table("platform_charges")
    op.drop_table("platform_invoices")
    op.drop_table("platform_subscriptions")
