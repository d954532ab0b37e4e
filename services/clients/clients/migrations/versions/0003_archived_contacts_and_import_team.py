"""Contacts can be archived; imports remember the team's e-mails (account managers by e-mail)

`contacts.archived_at`: an archived contact leaves every list but keeps its history.
`import_jobs.team_emails`: {lower-case e-mail: user id} of the agency's team, asked of identity
once when the import starts, so a background import resolves account managers without calling it.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("contacts", sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column(
        "import_jobs",
        sa.Column(
            "team_emails",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("import_jobs", "team_emails")
    op.drop_column("contacts", "archived_at")
