"""balance refunds through Stripe (split over the card payments that funded the balance) and the
kit's tombstones of erased agencies

Revision ID: 0040_portaltopup_refunds_tomb
Revises: 0040_rebill_usage_rebilling
Create Date: 2026-11-29 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_portaltopup_refunds_tomb"
down_revision: str | None = "0040_rebill_usage_rebilling"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_agencies",
        sa.Column("erased_agency_id", sa.Uuid(), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "balance_refunds",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.Uuid(), nullable=False),
        sa.Column("idempotency_key", sa.String(250), nullable=False, unique=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "balance_refund_parts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("agency_id", sa.Uuid(), nullable=False),
        sa.Column("refund_id", sa.Uuid(), sa.ForeignKey("balance_refunds.id"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(20), nullable=False),
        sa.Column("topup_attempt_id", sa.Uuid(), sa.ForeignKey("topup_attempts.id"), nullable=True),
        sa.Column("payment_intent_id", sa.String(100), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("stripe_key", sa.String(250), nullable=False, unique=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("stripe_refund_id", sa.String(100), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("transfer_id", sa.Uuid(), nullable=True),
        sa.Column("return_transfer_id", sa.Uuid(), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("amount > 0", name="ck_balance_refund_parts_amount"),
    )
    op.create_index("ix_balance_refunds_agency_id", "balance_refunds", ["agency_id"])
    op.create_index("ix_balance_refund_parts_agency_id", "balance_refund_parts", ["agency_id"])
    op.create_index("ix_balance_refund_parts_refund_id", "balance_refund_parts", ["refund_id"])
    op.create_index("ix_balance_refund_parts_topup", "balance_refund_parts", ["topup_attempt_id"])


def downgrade() -> None:
    op.drop_table("balance_refund_parts")
    op.drop_table("balance_refunds")
    op.drop_table("erased_agencies")
