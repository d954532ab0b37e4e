"""Imports read their file from stored pieces and keep the keys they met in the database

`import_chunks` holds an upload's pieces, `import_keys` (UNLOGGED scratch) the keys an import
has met; both are emptied when the import ends. `import_jobs.source` (the whole CSV text) goes:
jobs still queued or running with it are failed, to be imported again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("import_jobs", sa.Column("filename", sa.String(length=255), nullable=True))
    op.add_column(
        "import_jobs",
        sa.Column("upload_chunks", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "import_jobs",
        sa.Column("upload_bytes", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.execute(
        "UPDATE import_jobs SET status = 'failed', finished_at = now(), failure = "
        "'The import was stopped by an upgrade; import the file again (rows already imported "
        "are matched, not duplicated).' WHERE status IN ('queued', 'running')"
    )
    op.drop_column("import_jobs", "source")
    op.create_table(
        "import_chunks",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )
    op.create_table(
        "import_keys",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", "key"),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("import_keys")
    op.drop_table("import_chunks")
    op.add_column("import_jobs", sa.Column("source", sa.Text(), nullable=True))
    op.execute("DELETE FROM import_jobs WHERE status = 'uploading'")
    op.drop_column("import_jobs", "upload_bytes")
    op.drop_column("import_jobs", "upload_chunks")
    op.drop_column("import_jobs", "filename")
