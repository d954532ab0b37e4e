"""A client's billing contact (one of its contacts; none chosen: its first contact)

Revision ID: 0008_billingmoney
Revises: 0007
Create Date: 2026-11-29 05:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_billingmoney"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("clients", sa.Column("billing_contact_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        "fk_clients_billing_contact",
        "clients",
        "contacts",
        ["billing_contact_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint("fk_clients_billing_contact", "clients", type_="foreignkey")
    op.drop_column("clients", "billing_contact_id")
