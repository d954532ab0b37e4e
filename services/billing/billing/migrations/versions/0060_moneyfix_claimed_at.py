"""money: a pending try at Stripe is taken over by a claim (`claimed_at`), not by its age

Revision ID: 0060_moneyfix_claimed_at
Revises: 0050_usagebatch_one_draw
Create Date: 2026-11-29 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0060_moneyfix_claimed_at"
down_revision: str | None = "0050_usagebatch_one_draw"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# When a caller last took the try over (its creator, then whoever settles it after a lost
# answer): the window in which its call may still be under way counts from there. Rows so far
# were taken last when made (a balance refund's parts with their refund).
TRIES = {
    "payment_attempts": "created_at",
    "refunds": "created_at",
    "platform_charges": "created_at",
    "topup_attempts": "created_at",
    "balance_refund_parts": (
        "(SELECT r.created_at FROM balance_refunds r WHERE r.id = balance_refund_parts.refund_id)"
    ),
}


def upgrade() -> None:
    for table, made in TRIES.items():
        op.add_column(table, sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
        op.execute(f"UPDATE {table} SET claimed_at = {made}")
        op.alter_column(table, "claimed_at", nullable=False)


def downgrade() -> None:
    for table in TRIES:
        op.drop_column(table, "claimed_at")
