"""pending_sends: an event's e-mails to send after its handler's transaction

Revision ID: 0002_stateful_pending_sends
Revises: 0001
Create Date: 2026-11-29 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_stateful_pending_sends"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_sends",
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("handler", sa.String(length=200), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", "handler"),
    )


def downgrade() -> None:
    op.drop_table("pending_sends")
