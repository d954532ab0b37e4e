"""Contacts lists: the sorts' indexes hold live contacts only and cover a page's keys; a
client's live contacts indexed in their order

A page by number (`page=1900`: OFFSET 94,950) is found on keys first (kit.paging): the keys of
the sorted, filtered list are read and skipped, then the page's 50 rows. The sorts' indexes
on (agency_id, <sort key>, id) held every contact and nothing else, so each key read went to the
table for `archived_at` and `client_id` (the default filter: live contacts of live clients),
and the name sort was not used at all (PostgreSQL sorted the agency's contacts instead). Now each
is partial, `WHERE archived_at IS NULL` (what every list but `status=archived` asks), and
INCLUDEs `client_id` (and `name`, from which the sort's `lower(name)` is computed): the keys of
a deep page are an index-only scan once the table is vacuumed (an import ends with VACUUM,
`clients.imports.running.refresh_statistics`). `status=archived` lists find their few rows by
`ix_contacts_archived` and the client index, then sort them.

`ix_contacts_live_client` (agency, client) over live contacts counted the lists' `total`; the
clients' stored counts (0042_lists_contact_counts) do that now. The index of a client's live
contacts gains their order, (client_id, created_at, id): a client's billing contact by default
(its oldest live contact, clients.billing_contacts) is that index's first entry, where each
clients page read and sorted every contact of its clients.

Revision ID: 0043_lists_live_sort_indexes
Revises: 0042_lists_contact_counts
Create Date: 2026-11-29 11:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0043_lists_live_sort_indexes"
down_revision: str | None = "0042_lists_contact_counts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = "WHERE archived_at IS NULL"


def upgrade() -> None:
    op.execute("DROP INDEX ix_contacts_agency_created")
    op.execute("DROP INDEX ix_contacts_agency_name")
    op.execute("DROP INDEX ix_contacts_agency_activity")
    op.execute("DROP INDEX ix_contacts_live_client")
    op.execute("DROP INDEX ix_contacts_client_live")
    op.execute(
        f"CREATE INDEX ix_contacts_client_first ON contacts (client_id, created_at, id) {LIVE}"
    )
    op.execute(
        "CREATE INDEX ix_contacts_live_created ON contacts (agency_id, created_at, id) "
        f"INCLUDE (client_id) {LIVE}"
    )
    op.execute(
        "CREATE INDEX ix_contacts_live_name ON contacts (agency_id, lower(name), id) "
        f"INCLUDE (client_id, name) {LIVE}"
    )
    op.execute(
        "CREATE INDEX ix_contacts_live_activity ON contacts (agency_id, last_activity_at, id) "
        f"INCLUDE (client_id) {LIVE}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX ix_contacts_live_activity")
    op.execute("DROP INDEX ix_contacts_live_name")
    op.execute("DROP INDEX ix_contacts_live_created")
    op.execute("DROP INDEX ix_contacts_client_first")
    op.execute(f"CREATE INDEX ix_contacts_client_live ON contacts (client_id) {LIVE}")
    op.execute(f"CREATE INDEX ix_contacts_live_client ON contacts (agency_id, client_id) {LIVE}")
    op.execute(
        "CREATE INDEX ix_contacts_agency_activity ON contacts (agency_id, last_activity_at, id)"
    )
    op.execute("CREATE INDEX ix_contacts_agency_name ON contacts (agency_id, lower(name), id)")
    op.execute("CREATE INDEX ix_contacts_agency_created ON contacts (agency_id, created_at, id)")
