"""sent_emails and the kit tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:27:17.935653
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_kit_tables_v1, drop_kit_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables_v1()
    op.create_table(
        "sent_emails",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=True),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("to", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=500), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id", "template", "to", name="uq_sent_emails_event_template_to"),
    )
    op.create_index(
        "ix_sent_emails_agency_sent_at", "sent_emails", ["agency_id", "sent_at"], unique=False
    )


def downgrade() -> None:
    drop_kit_tables_v1()
    op.drop_index("ix_sent_emails_agency_sent_at", table_name="sent_emails")
    op.drop_table("sent_emails")
