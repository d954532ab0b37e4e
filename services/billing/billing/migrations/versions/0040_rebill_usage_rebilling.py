"""re-billing agency-funded usage on the client's invoice: the agency's setting, the built-in
"Usage" service of its lines, and one usage invoice per client and month

Revision ID: 0040_rebill_usage_rebilling
Revises: 0030_brandpdf_brand_color
Create Date: 2026-11-29 08:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040_rebill_usage_rebilling"
down_revision: str | None = "0030_brandpdf_brand_color"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "balance_settings",
        sa.Column("usage_rebilling", sa.String(10), nullable=False, server_default="off"),
    )
    op.add_column(
        "balance_settings",
        sa.Column("rebill_markup_bp", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_check_constraint(
        "ck_balance_settings_rebilling",
        "balance_settings",
        "usage_rebilling IN ('off', 'at_cost', 'markup') AND rebill_markup_bp BETWEEN 0 AND 100000",
    )
    op.add_column(
        "services",
        sa.Column("built_in", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("invoices", sa.Column("usage_month", sa.Date(), nullable=True))
    op.create_unique_constraint(
        "uq_invoices_client_usage_month", "invoices", ["client_id", "usage_month"]
    )
    # The run's sum of a month's usage per client, and the hourly look for agencies with some.
    op.create_index(
        "ix_ledger_transfers_usage_day",
        "ledger_transfers",
        ["agency_id", "recorded_on"],
        postgresql_where=sa.text("kind = 'usage'"),
    )


def downgrade() -> None:
    op.drop_index("ix_ledger_transfers_usage_day", table_name="ledger_transfers")
    op.drop_constraint("uq_invoices_client_usage_month", "invoices", type_="unique")
    op.drop_column("invoices", "usage_month")
    op.drop_column("services", "built_in")
    op.drop_constraint("ck_balance_settings_rebilling", "balance_settings", type_="check")
    op.drop_column("balance_settings", "rebill_markup_bp")
    op.drop_column("balance_settings", "usage_rebilling")
