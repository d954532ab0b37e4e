"""balances: ledger accounts, immutable transfers kept in the balances by the database,
client funding, balance settings, card top-ups, funding requests

Revision ID: 0010_balances_ledger
Revises: 0002
Create Date: 2026-11-29 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_balances_ledger"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The stored balance of a balance account moves with every transfer, in the inserting
# transaction (the UPDATE locks the row; CHECK balance >= 0 refuses an overdraft). An AFTER
# trigger does not fire for a row that INSERT ... ON CONFLICT DO NOTHING skipped, so a repeated
# idempotency key moves nothing. System accounts keep no stored balance (NULL stays NULL).
APPLY_TRANSFER = """
CREATE FUNCTION ledger_apply_transfer() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE ledger_accounts SET balance = balance - NEW.amount
     WHERE id = NEW.from_account_id AND agency_id = NEW.agency_id AND balance IS NOT NULL;
    UPDATE ledger_accounts SET balance = balance + NEW.amount
     WHERE id = NEW.to_account_id AND agency_id = NEW.agency_id AND balance IS NOT NULL;
    RETURN NULL;
END $$;
CREATE TRIGGER ledger_transfers_apply AFTER INSERT ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_apply_transfer();
CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger transfers are immutable: record a new transfer instead';
END $$;
CREATE TRIGGER ledger_transfers_immutable BEFORE UPDATE OR DELETE ON ledger_transfers
    FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
"""


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("balance", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("low_notified", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(kind IN ('agency', 'client') AND balance IS NOT NULL AND balance >= 0) OR "
            "(kind NOT IN ('agency', 'client') AND balance IS NULL)",
            name="ck_ledger_accounts_balance",
        ),
        sa.CheckConstraint("(kind = 'client') = (client_id IS NOT NULL)", name="ck_ledger_client"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("id", "agency_id", name="uq_ledger_accounts_id_agency"),
    )
    op.create_index("ix_ledger_accounts_agency_id", "ledger_accounts", ["agency_id"])
    op.create_index(
        "uq_ledger_accounts_agency_kind",
        "ledger_accounts",
        ["agency_id", "kind"],
        unique=True,
        postgresql_where=sa.text("client_id IS NULL"),
    )
    op.create_index("uq_ledger_accounts_client", "ledger_accounts", ["client_id"], unique=True)
    op.execute("CREATE SEQUENCE ledger_transfers_seq")
    op.create_table(
        "ledger_transfers",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column(
            "seq",
            sa.BigInteger(),
            server_default=sa.text("nextval('ledger_transfers_seq')"),
            nullable=False,
        ),
        sa.Column("from_account_id", sa.UUID(), nullable=False),
        sa.Column("to_account_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name="ck_ledger_transfers_amount"),
        sa.CheckConstraint("from_account_id <> to_account_id", name="ck_ledger_transfers_sides"),
        # Both sides are accounts of the transfer's own agency.
        sa.ForeignKeyConstraint(
            ["from_account_id", "agency_id"], ["ledger_accounts.id", "ledger_accounts.agency_id"]
        ),
        sa.ForeignKeyConstraint(
            ["to_account_id", "agency_id"], ["ledger_accounts.id", "ledger_accounts.agency_id"]
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ledger_transfers_agency_id", "ledger_transfers", ["agency_id"])
    op.create_index(
        "uq_ledger_transfers_key", "ledger_transfers", ["agency_id", "idempotency_key"], unique=True
    )
    op.create_index("ix_ledger_transfers_from", "ledger_transfers", ["from_account_id", "seq"])
    op.create_index("ix_ledger_transfers_to", "ledger_transfers", ["to_account_id", "seq"])
    op.execute(APPLY_TRANSFER)
    op.create_table(
        "client_funding",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("funded_by", sa.String(length=20), nullable=False),
        sa.Column("usage_paused", sa.Boolean(), nullable=False),
        sa.Column("customer_email", sa.String(length=320), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("funded_by IN ('agency', 'customer')", name="ck_client_funding_by"),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_client_funding_agency_id", "client_funding", ["agency_id"])
    op.create_table(
        "balance_settings",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("low_threshold", sa.BigInteger(), nullable=False),
        sa.Column("auto_recharge_amount", sa.BigInteger(), nullable=True),
        sa.Column("stripe_customer_id", sa.String(length=100), nullable=True),
        sa.Column("payment_method_id", sa.String(length=100), nullable=True),
        sa.Column("card_summary", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "topup_attempts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("account_id", sa.UUID(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("payment_intent_id", sa.String(length=100), nullable=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("transfer_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["ledger_accounts.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("idempotency_key"),
    )
    op.create_index("ix_topup_attempts_agency_id", "topup_attempts", ["agency_id"])
    op.create_table(
        "funding_requests",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("starting_balance", sa.BigInteger(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_funding_requests_agency_id", "funding_requests", ["agency_id"])
    op.create_unique_constraint(
        "funding_requests_token_hash_key", "funding_requests", ["token_hash"]
    )
    op.create_index(
        "uq_funding_requests_pending",
        "funding_requests",
        ["client_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("funding_requests")
    op.drop_table("topup_attempts")
    op.drop_table("balance_settings")
    op.drop_table("client_funding")
    op.execute("DROP TRIGGER ledger_transfers_immutable ON ledger_transfers")
    op.execute("DROP TRIGGER ledger_transfers_apply ON ledger_transfers")
    op.drop_table("ledger_transfers")
    op.execute("DROP FUNCTION ledger_refuse_change()")
    op.execute("DROP FUNCTION ledger_apply_transfer()")
    op.execute("DROP SEQUENCE ledger_transfers_seq")
    op.drop_table("ledger_accounts")
