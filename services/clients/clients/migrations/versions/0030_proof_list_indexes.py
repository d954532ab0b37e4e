"""Lists at scale: indexes that fit the contacts list's sorts and its search

With 100,000 contacts in an agency, the Contacts tab scanned and sorted every one of them per
page, and its search (`q`) was a sequential ILIKE over six columns. Now:
- `contact_search_text(...)`: the searched columns in one text (a unit separator between them,
  so a search never matches across two), with a pg_trgm GIN index: ILIKE '%q%' uses it;
- btree indexes on (agency_id, <sort key>, id) for the sorts (created_at, lower(name),
  last_activity_at), and on (agency_id, created_at) / (agency_id, last_activity_at) for clients.
pg_trgm is a trusted extension: the database owner may create it.

Revision ID: 0030_proof_list_indexes
Revises: 0009_portalreq
Create Date: 2026-11-29 05:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030_proof_list_indexes"
down_revision: str | None = "0009_portalreq"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    # IMMUTABLE so it can be indexed: array_to_string is only STABLE in general (element types'
    # output functions), but for varchar[] its result never changes.
    op.execute(
        "CREATE FUNCTION contact_search_text(text, text, text, text, varchar[]) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS "
        "$$ SELECT concat_ws(E'\\x1f', $1, $2, $3, $4, array_to_string($5, ' ')) $$"
    )
    op.execute(
        "CREATE INDEX ix_contacts_search ON contacts USING gin "
        "(contact_search_text(name, email, position, phone, tags) gin_trgm_ops)"
    )
    op.execute("CREATE INDEX ix_contacts_agency_created ON contacts (agency_id, created_at, id)")
    op.execute("CREATE INDEX ix_contacts_agency_name ON contacts (agency_id, lower(name), id)")
    op.execute(
        "CREATE INDEX ix_contacts_agency_activity ON contacts (agency_id, last_activity_at, id)"
    )
    op.execute(
        "CREATE INDEX ix_contacts_client_live ON contacts (client_id) WHERE archived_at IS NULL"
    )
    op.execute("CREATE INDEX ix_clients_agency_created ON clients (agency_id, created_at, id)")
    op.execute(
        "CREATE INDEX ix_clients_agency_activity ON clients (agency_id, last_activity_at, id)"
    )
    op.execute("CREATE INDEX ix_clients_name_trgm ON clients USING gin (name gin_trgm_ops)")


def downgrade() -> None:
    for index in (
        "ix_clients_name_trgm",
        "ix_clients_agency_activity",
        "ix_clients_agency_created",
        "ix_contacts_client_live",
        "ix_contacts_agency_activity",
        "ix_contacts_agency_name",
        "ix_contacts_agency_created",
        "ix_contacts_search",
    ):
        op.execute(f"DROP INDEX {index}")
    op.execute("DROP FUNCTION contact_search_text(text, text, text, text, varchar[])")
