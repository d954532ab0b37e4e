"""Invitations remember the address they were sent to; invitation e-mails are counted per agency

`invitations.email`: an invitation is accepted only while it is still the contact's e-mail
(existing rows take the contact's current address). `invitation_sends`: one row per invitation
e-mail sent in the last hour, for the per-agency limit (INVITATIONS_PER_HOUR).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("invitations", sa.Column("email", sa.String(length=320), nullable=True))
    op.execute(
        "UPDATE invitations SET email = contacts.email FROM contacts "
        "WHERE contacts.id = invitations.contact_id"
    )
    op.alter_column("invitations", "email", nullable=False)
    op.create_table(
        "invitation_sends",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("invitation_id", sa.UUID(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_invitation_sends_agency_id"), "invitation_sends", ["agency_id"], unique=False
    )
    op.create_index("ix_invitation_sends_agency_sent", "invitation_sends", ["agency_id", "sent_at"])


def downgrade() -> None:
    op.drop_index("ix_invitation_sends_agency_sent", table_name="invitation_sends")
    op.drop_index(op.f("ix_invitation_sends_agency_id"), table_name="invitation_sends")
    op.drop_table("invitation_sends")
    op.drop_column("invitations", "email")
