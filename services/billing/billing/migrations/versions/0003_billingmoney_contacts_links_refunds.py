"""billing contacts in client facts, card-update links, refunds, the overdue rule

Revision ID: 0003_billingmoney
Revises: 0002
Create Date: 2026-11-29 05:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_billingmoney"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("client_facts", sa.Column("billing_contact_name", sa.String(200)))
    op.add_column("client_facts", sa.Column("billing_email", sa.String(320)))
    op.add_column("invoices", sa.Column("failed_at", sa.DateTime(timezone=True)))
    op.add_column("invoices", sa.Column("overdue_reported_at", sa.DateTime(timezone=True)))
    op.create_table(
        "billing_settings",
        sa.Column("agency_id", sa.UUID(), primary_key=True),
        sa.Column("inactive_after_failed_days", sa.Integer()),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "card_links",
        sa.Column("id", sa.UUID(), primary_key=True),
        sa.Column("agency_id", sa.UUID(), nullable=False, index=True),
        sa.Column(
            "client_id",
            sa.UUID(),
            sa.ForeignKey("client_facts.client_id"),
            nullable=False,
            index=True,
        ),
        sa.Column("invoice_id", sa.UUID(), sa.ForeignKey("invoices.id")),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "refunds",
        sa.Column("id", sa.UUID(), primary_key=True),
        sa.Column("agency_id", sa.UUID(), nullable=False, index=True),
        sa.Column(
            "invoice_id", sa.UUID(), sa.ForeignKey("invoices.id"), nullable=False, index=True
        ),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("method", sa.String(10), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stripe_refund_id", sa.String(100)),
        sa.Column("failure_reason", sa.Text()),
        sa.Column("created_by", sa.String(64)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("invoice_id", "number", name="uq_refunds_invoice_number"),
        sa.CheckConstraint("amount > 0", name="ck_refunds_amount"),
    )


def downgrade() -> None:
    op.drop_table("refunds")
    op.drop_table("card_links")
    op.drop_table("billing_settings")
    op.drop_column("invoices", "overdue_reported_at")
    op.drop_column("invoices", "failed_at")
    op.drop_column("client_facts", "billing_email")
    op.drop_column("client_facts", "billing_contact_name")
