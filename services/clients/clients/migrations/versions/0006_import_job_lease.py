"""Background imports hold a lease: `import_jobs.heartbeat_at`

The process running an import renews it; a running import whose lease ran out lost its process
and is marked failed by any clients process (never left `running`).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 02:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "import_jobs", sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("import_jobs", "heartbeat_at")
