"""Clients: each client's number of live contacts, stored and kept true by the database

`clients.contact_count` is the number of the client's contacts that are not archived. Statement
triggers on `contacts` (AFTER INSERT / UPDATE / DELETE, with transition tables) add each
statement's change per client in one UPDATE of the clients it touched, in the statement's own
transaction: an import batch of 1,000 rows is one UPDATE, not 1,000; an UPDATE that moves no
contact and archives none changes no client. The clients it changes are locked in id order, so
two statements counting the same clients never deadlock on each other.

What it serves: the clients list sorted by `contact_count` (an index of (agency, count, id), no
longer a count of every contact of the agency per page), every client's `contact_count`, and the
exact `total` of the contacts lists that filter on clients only (their clients' counts add up).

Revision ID: 0042_lists_contact_counts
Revises: 0041_contacts_archived_index
Create Date: 2026-11-29 11:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042_lists_contact_counts"
down_revision: str | None = "0041_contacts_archived_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# One function for the three triggers (a trigger with transition tables has one event): the
# statement's change per client as two arrays, then one locking SELECT and one UPDATE. PL/pgSQL
# plans a statement when it first runs it, so the INSERT branch never meets `old_rows`.
COUNT_LIVE_CONTACTS = """
CREATE FUNCTION count_live_contacts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ids uuid[];
    changes bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(client_id ORDER BY client_id), array_agg(n ORDER BY client_id)
          INTO ids, changes
          FROM (SELECT client_id, count(*) AS n FROM new_rows
                 WHERE archived_at IS NULL GROUP BY client_id) AS added;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(client_id ORDER BY client_id), array_agg(-n ORDER BY client_id)
          INTO ids, changes
          FROM (SELECT client_id, count(*) AS n FROM old_rows
                 WHERE archived_at IS NULL GROUP BY client_id) AS removed;
    ELSE
        SELECT array_agg(client_id ORDER BY client_id), array_agg(n ORDER BY client_id)
          INTO ids, changes
          FROM (SELECT client_id, sum(n) AS n
                  FROM (SELECT client_id, 1 AS n FROM new_rows WHERE archived_at IS NULL
                        UNION ALL
                        SELECT client_id, -1 FROM old_rows WHERE archived_at IS NULL) AS moves
                 GROUP BY client_id HAVING sum(n) <> 0) AS moved;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM clients WHERE id = ANY (ids) ORDER BY id FOR NO KEY UPDATE;
    UPDATE clients SET contact_count = clients.contact_count + counted.n
      FROM unnest(ids, changes) AS counted (id, n)
     WHERE clients.id = counted.id;
    RETURN NULL;
END $$
"""

TRIGGERS = {
    "contacts_count_inserted": ("INSERT", "NEW TABLE AS new_rows"),
    "contacts_count_updated": ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    "contacts_count_deleted": ("DELETE", "OLD TABLE AS old_rows"),
}


def upgrade() -> None:
    op.add_column(
        "clients",
        sa.Column("contact_count", sa.Integer(), nullable=False, server_default="0"),
    )
    # no contact may change between the count below and the triggers that keep it
    op.execute("LOCK TABLE contacts IN SHARE ROW EXCLUSIVE MODE")
    op.execute(COUNT_LIVE_CONTACTS)
    for name, (event, tables) in TRIGGERS.items():
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON contacts REFERENCING {tables} "
            "FOR EACH STATEMENT EXECUTE FUNCTION count_live_contacts()"
        )
    op.execute(
        "UPDATE clients SET contact_count = live.n FROM (SELECT client_id, count(*) AS n "
        "FROM contacts WHERE archived_at IS NULL GROUP BY client_id) AS live "
        "WHERE clients.id = live.client_id"
    )
    op.create_index(
        "ix_clients_agency_contact_count", "clients", ["agency_id", "contact_count", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_clients_agency_contact_count", table_name="clients")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON contacts")
    op.execute("DROP FUNCTION count_live_contacts()")
    op.drop_column("clients", "contact_count")
