"""client facts: when the clients service said each fact (name, status, archived, billing
contact), so that events handled out of order never bring back an older one

Revision ID: 0080_factsasof_client_facts
Revises: 0070_stripekey_key_refused_at
Create Date: 2026-11-29 12:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0080_factsasof_client_facts"
down_revision: str | None = "0070_stripekey_key_refused_at"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GROUPS = ("name", "status", "archived", "billing")


def upgrade() -> None:
    for group in GROUPS:
        op.add_column(
            "client_facts", sa.Column(f"{group}_as_of", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    for group in GROUPS:
        op.drop_column("client_facts", f"{group}_as_of")
