"""Portal logins owed a change in identity

`portal_syncs`: one row per contact whose portal login identity must still be brought in line
with the contact (name, e-mail, client, enabled or not). Written in the clients transaction that
changes the contact, deleted once identity has the contact's state (see portal_sync.py).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 03:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "portal_syncs",
        sa.Column(
            "contact_id",
            postgresql.UUID(as_uuid=True),
            sa.ForeignKey("contacts.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("agency_id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
    )
    op.create_index("ix_portal_syncs_due_at", "portal_syncs", ["due_at"])
    op.create_index("ix_portal_syncs_agency_id", "portal_syncs", ["agency_id"])


def downgrade() -> None:
    op.drop_table("portal_syncs")
