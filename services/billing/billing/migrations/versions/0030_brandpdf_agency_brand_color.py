"""the agency's brand colour in billing's agency facts (for its invoices)

Revision ID: 0030_brandpdf_brand_color
Revises: 0021_usagespeed_draw_batches
Create Date: 2026-11-29 06:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0030_brandpdf_brand_color"
down_revision: str | None = "0021_usagespeed_draw_batches"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agency_facts", sa.Column("brand_color", sa.String(7), nullable=True))


def downgrade() -> None:
    op.drop_column("agency_facts", "brand_color")
