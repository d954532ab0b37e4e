"""Contacts search: a stored, lower-cased search text with its trigram index

The search (`q`) matched `contact_search_text(name, email, position, phone, tags) ILIKE '%q%'`
through a trigram index on that expression; but PostgreSQL re-checks every candidate row the
index returns, and each re-check computed the text (array_to_string of the tags) and folded its
case again: a common word (`q=designer`, a fifth of 100,000 contacts) spent most of its time
there. Now the text is a stored generated column, already lower-cased (`search_text`), with the
trigram index on it; the search is `search_text LIKE lower('%q%')`: the same matches as the
ILIKE (pg_trgm's trigrams are case-folded either way), re-checked on a plain stored string.
The expression index it replaces is dropped.

Revision ID: 0040_gwlists_contact_search
Revises: 0040_portaltopup_tombstone
Create Date: 2026-11-29 08:40:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040_gwlists_contact_search"
down_revision: str | None = "0040_portaltopup_tombstone"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "ALTER TABLE contacts ADD COLUMN search_text text GENERATED ALWAYS AS "
        "(lower(contact_search_text(name, email, position, phone, tags))) STORED"
    )
    op.execute(
        "CREATE INDEX ix_contacts_search_text ON contacts USING gin (search_text gin_trgm_ops)"
    )
    op.execute("DROP INDEX ix_contacts_search")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX ix_contacts_search ON contacts USING gin "
        "(contact_search_text(name, email, position, phone, tags) gin_trgm_ops)"
    )
    op.execute("DROP INDEX ix_contacts_search_text")
    op.execute("ALTER TABLE contacts DROP COLUMN search_text")
