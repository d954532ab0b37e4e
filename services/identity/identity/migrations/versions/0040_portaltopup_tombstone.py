"""the kit's tombstones of erased agencies (kit.erasure): late events about them are ignored

Revision ID: 0040_portaltopup_tombstone
Revises: 0006_polish_agency_branding
Create Date: 2026-11-29 08:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_portaltopup_tombstone"
down_revision: str | None = "0006_polish_agency_branding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_agencies",
        sa.Column("erased_agency_id", sa.Uuid(), primary_key=True),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("erased_agencies")
