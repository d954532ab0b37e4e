"""Client status history (created, status, archived, restored), backfilled

Revision ID: 0040_rebuild_status_history
Revises: 0031_polish_required_fields
Create Date: 2026-11-29 08:30:00.000000

The backfill keeps what is known: the client events still in the outbox (published ones stay
7 days) with their own event ids and times; for every client without a `created` row one at its
`created_at` (its first status: the `old_status` of its earliest known status change, else its
status now); an `archived` row at `archived_at` for an archived client whose last known
archiving change is not one; a `status` row at `updated_at` where the history does not end on
the status the client has. Made-up rows have ids derived from the client id and the kind.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_rebuild_status_history"
down_revision: str | None = "0031_polish_required_fields"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FROM_OUTBOX = """
INSERT INTO client_status_history
    (id, agency_id, client_id, kind, status, old_status, occurred_at, backfilled)
SELECT o.event_id, o.agency_id, (o.payload ->> 'client_id')::uuid,
    CASE o.event_type WHEN 'client_created' THEN 'created'
                      WHEN 'client_status_changed' THEN 'status'
                      WHEN 'client_archived' THEN 'archived'
                      ELSE 'restored' END,
    CASE WHEN o.event_type IN ('client_created', 'client_status_changed')
         THEN o.payload ->> 'status' END,
    o.payload ->> 'old_status',
    COALESCE((o.payload ->> 'occurred_at')::timestamptz, o.created_at),
    true
FROM outbox o
JOIN clients c ON c.id = (o.payload ->> 'client_id')::uuid AND c.agency_id = o.agency_id
WHERE o.event_type IN ('client_created', 'client_status_changed', 'client_archived',
                       'client_restored')
ON CONFLICT (id) DO NOTHING
"""

CREATED = """
INSERT INTO client_status_history
    (id, agency_id, client_id, kind, status, old_status, occurred_at, backfilled)
SELECT md5(c.id::text || '-created')::uuid, c.agency_id, c.id, 'created',
    COALESCE((SELECT h.old_status FROM client_status_history h
               WHERE h.client_id = c.id AND h.kind = 'status'
               ORDER BY h.occurred_at, h.id LIMIT 1), c.status),
    NULL, c.created_at, true
FROM clients c
WHERE NOT EXISTS (SELECT 1 FROM client_status_history h
                   WHERE h.client_id = c.id AND h.kind = 'created')
"""

ARCHIVED = """
INSERT INTO client_status_history
    (id, agency_id, client_id, kind, status, old_status, occurred_at, backfilled)
SELECT md5(c.id::text || '-archived')::uuid, c.agency_id, c.id, 'archived', NULL, NULL,
    c.archived_at, true
FROM clients c
WHERE c.archived_at IS NOT NULL
  AND COALESCE((SELECT h.kind FROM client_status_history h
                 WHERE h.client_id = c.id AND h.kind IN ('archived', 'restored')
                 ORDER BY h.occurred_at DESC, h.id DESC LIMIT 1), '') <> 'archived'
ON CONFLICT (id) DO NOTHING
"""

STATUS = """
INSERT INTO client_status_history
    (id, agency_id, client_id, kind, status, old_status, occurred_at, backfilled)
SELECT md5(c.id::text || '-status')::uuid, c.agency_id, c.id, 'status', c.status, last.status,
    GREATEST(c.updated_at, last.occurred_at), true
FROM clients c
JOIN LATERAL (SELECT h.status, h.occurred_at FROM client_status_history h
               WHERE h.client_id = c.id AND h.kind IN ('created', 'status')
               ORDER BY h.occurred_at DESC, h.id DESC LIMIT 1) last ON true
WHERE last.status IS DISTINCT FROM c.status
ON CONFLICT (id) DO NOTHING
"""


def upgrade() -> None:
    op.create_table(
        "client_status_history",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backfilled", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_client_status_history_agency_id", "client_status_history", ["agency_id"])
    op.create_index(
        "ix_client_status_history_agency_time",
        "client_status_history",
        ["agency_id", "occurred_at", "id"],
    )
    op.create_index(
        "ix_client_status_history_client", "client_status_history", ["client_id", "occurred_at"]
    )
    for statement in (FROM_OUTBOX, CREATED, ARCHIVED, STATUS):
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("client_status_history")
