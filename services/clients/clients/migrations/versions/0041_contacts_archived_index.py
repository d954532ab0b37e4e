"""Archived contacts found by index: `status=archived` lists a contact archived itself (this
partial index) or one of an archived client (`client_id = ANY(...)`, the client index), the two
scans ORed, instead of reading every contact of the agency to test the join.

Revision ID: 0041_contacts_archived_index
Revises: 0040_gwlists_contact_search
Create Date: 2026-11-29 09:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041_contacts_archived_index"
down_revision: str | None = "0040_gwlists_contact_search"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_contacts_archived",
        "contacts",
        ["agency_id"],
        postgresql_where="archived_at IS NOT NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_archived", table_name="contacts")
