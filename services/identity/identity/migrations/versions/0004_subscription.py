"""Agencies follow billing's subscription events (a version) and are reminded of the trial's end

Revision ID: 0004_subscription
Revises: 0003
Create Date: 2026-11-29 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_subscription"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "agencies",
        sa.Column("subscription_version", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column(
        "agencies", sa.Column("trial_ending_sent_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("agencies", "trial_ending_sent_at")
    op.drop_column("agencies", "subscription_version")
