"""Custom fields can be required

Revision ID: 0031_polish_required_fields
Revises: 0030_proof_list_indexes
Create Date: 2026-11-29 06:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031_polish_required_fields"
down_revision: str | None = "0030_proof_list_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "custom_field_definitions",
        sa.Column("required", sa.Boolean(), nullable=False, server_default=sa.text("false")),
    )


def downgrade() -> None:
    op.drop_column("custom_field_definitions", "required")
