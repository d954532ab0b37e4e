"""Requests become conversations: a thread of comments, internal notes and status changes,
attachments kept in S3, an assignee, and per-user read marks for the team's inbox

`client_requests.assignee_id`: the team member the request is assigned to (identity's user id).
`client_requests.activity_at`: the last thing added to the thread; a team member whose
`request_reads.read_at` is older (or who has none) sees the request unread.
`request_comments`: comments (both sides), notes (team only), status changes.
`request_attachments`: the files' names, types, sizes and S3 keys (the bytes are in the bucket).

Revision ID: 0009_portalreq
Revises: 0008_billingmoney
Create Date: 2026-11-29 05:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_portalreq"
down_revision: str | None = "0008_billingmoney"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("client_requests", sa.Column("assignee_id", sa.String(length=64)))
    op.add_column(
        "client_requests",
        sa.Column(
            "activity_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
    )
    op.execute("UPDATE client_requests SET activity_at = updated_at")
    op.alter_column("client_requests", "activity_at", server_default=None)
    op.create_index("ix_client_requests_assignee_id", "client_requests", ["assignee_id"])
    op.create_index("ix_client_requests_contact_id", "client_requests", ["contact_id"])
    op.create_table(
        "request_comments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("author_kind", sa.String(length=20), nullable=False),
        sa.Column("author_id", sa.String(length=64), nullable=True),
        sa.Column("author_name", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["client_requests.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_comments_agency_id", "request_comments", ["agency_id"])
    op.create_index("ix_request_comments_request", "request_comments", ["request_id", "created_at"])
    op.create_table(
        "request_attachments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("comment_id", sa.UUID(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["client_requests.id"]),
        sa.ForeignKeyConstraint(["comment_id"], ["request_comments.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_request_attachments_agency_id", "request_attachments", ["agency_id"])
    op.create_index("ix_request_attachments_request_id", "request_attachments", ["request_id"])
    op.create_table(
        "request_reads",
        sa.Column("request_id", sa.UUID(), nullable=False),
        sa.Column("user_id", sa.String(length=64), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["client_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("request_id", "user_id"),
    )
    op.create_index("ix_request_reads_agency_id", "request_reads", ["agency_id"])


def downgrade() -> None:
    op.drop_table("request_reads")
    op.drop_table("request_attachments")
    op.drop_table("request_comments")
    op.drop_index("ix_client_requests_contact_id", "client_requests")
    op.drop_index("ix_client_requests_assignee_id", "client_requests")
    op.drop_column("client_requests", "activity_at")
    op.drop_column("client_requests", "assignee_id")
