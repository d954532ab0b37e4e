"""Team users confirm their address: only confirmed addresses are unique across agencies

Revision ID: 0005_polish_confirmed_emails
Revises: 0004_subscription
Create Date: 2026-11-29 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_polish_confirmed_emails"
down_revision: str | None = "0004_subscription"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("users", sa.Column("email_confirmed_at", sa.DateTime(timezone=True)))
    # Users made before this could log in already: their addresses count as confirmed.
    op.execute("UPDATE users SET email_confirmed_at = created_at")
    op.drop_index("uq_users_email", table_name="users")
    op.create_index(
        "uq_users_email",
        "users",
        [sa.literal_column("lower(email)")],
        unique=True,
        postgresql_where=sa.text("email_confirmed_at IS NOT NULL"),
    )
    op.create_index(
        "uq_users_agency_email",
        "users",
        ["agency_id", sa.literal_column("lower(email)")],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_users_agency_email", table_name="users")
    op.drop_index("uq_users_email", table_name="users")
    op.execute("DELETE FROM users WHERE email_confirmed_at IS NULL")
    op.create_index("uq_users_email", "users", [sa.literal_column("lower(email)")], unique=True)
    op.drop_column("users", "email_confirmed_at")
