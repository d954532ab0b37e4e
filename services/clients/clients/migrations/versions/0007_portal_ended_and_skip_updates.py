"""Contacts remember that archiving their client ended their portal access; an import may
leave existing records alone

`contacts.portal_ended_at`: set when the client is archived for each contact that had portal
access (a login or a pending invitation), cleared when it is invited again; restoring the
client offers to re-invite exactly those contacts.
`import_jobs.skip_updates`: the import creates new records only; rows matching an existing
record change nothing.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("portal_ended_at", sa.DateTime(timezone=True)))
    op.add_column(
        "import_jobs",
        sa.Column("skip_updates", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    op.drop_column("import_jobs", "skip_updates")
    op.drop_column("contacts", "portal_ended_at")
