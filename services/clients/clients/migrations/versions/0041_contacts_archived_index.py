"""Contacts lists by index: `status=archived` lists a contact archived itself (a partial index
of archived contacts) or one of an archived client (`client_id = ANY(...)`, the client index),
the two scans ORed, instead of reading every contact of the agency to test the join; and a
page's exact `total` of live contacts counts from an index of (agency, client) over live
contacts alone (an index-only scan joined to the live clients) instead of reading the rows.

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
    op.create_index(
        "ix_contacts_live_client",
        "contacts",
        ["agency_id", "client_id"],
        postgresql_where="archived_at IS NULL",
    )


def downgrade() -> None:
    op.drop_index("ix_contacts_live_client", table_name="contacts")
    op.drop_index("ix_contacts_archived", table_name="contacts")
