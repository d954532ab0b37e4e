"""stripe: the agency's Stripe key refused by Stripe (`stripe_accounts.key_refused_at`)

Revision ID: 0070_stripekey_key_refused_at
Revises: 0060_moneyfix_claimed_at
Create Date: 2026-11-29 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0070_stripekey_key_refused_at"
down_revision: str | None = "0060_moneyfix_claimed_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "stripe_accounts",
        sa.Column("key_refused_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_column("stripe_accounts", "key_refused_at")
