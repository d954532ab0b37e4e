"""An agency's brand: a colour and a logo

Revision ID: 0006_polish_agency_branding
Revises: 0005_polish_confirmed_emails
Create Date: 2026-11-29 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_polish_agency_branding"
down_revision: str | None = "0005_polish_confirmed_emails"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("agencies", sa.Column("brand_color", sa.String(length=7)))
    op.add_column("agencies", sa.Column("logo_data", sa.LargeBinary()))
    op.add_column("agencies", sa.Column("logo_content_type", sa.String(length=20)))
    op.add_column("agencies", sa.Column("logo_updated_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for column in ("logo_updated_at", "logo_content_type", "logo_data", "brand_color"):
        op.drop_column("agencies", column)
