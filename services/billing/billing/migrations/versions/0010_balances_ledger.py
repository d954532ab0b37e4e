"""balances: ledger accounts, immutable transfers kept in the balances by the database,
client funding, balance settings, card top-ups, funding requests

Revision ID: 0010_balances_ledger
Revises: 0003_billingmoney
Create Date: 2026-11-29 05:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_balances_ledger"
down_revision: str | None = "0003_billingmoney"
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

# Recording usage is the ledger's hot path (many writers on one client): one database call does
# what `usage.record_usage` needs under the locks. The caller runs it as one autocommitted
# statement, so the locks go with the statement's own commit and never wait for the caller's
# next turn (an explicit COMMIT made a convoy under load: 23 usages/s over RPC). It locks the
# client's funding row, then the balance that funds it; answers a recorded key ('repeat', or
# 'conflict' when it differs); refuses while paused ('paused') or when the balance cannot
# cover it ('short': the usage paused and `balance_exhausted` recorded from
# p_exhausted_event); else inserts the transfer (the trigger moves the balance) and the
# `usage_recorded` outbox row, whose reserved fields (event id, type, agency, request, time)
# come ready in p_event.
DRAW_USAGE = """
CREATE FUNCTION ledger_draw_usage(
    p_agency uuid, p_client uuid, p_amount bigint, p_key text, p_description text,
    p_created_by text, p_event jsonb, p_exhausted_event jsonb
) RETURNS TABLE (
    status text, transfer_id uuid, funded_by text, client_name text, amount bigint,
    balance_after bigint, recorded_on date, description text, account_id uuid,
    low_notified boolean, low_threshold bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_name text;
    v_funded text;
    v_paused boolean;
    v_account ledger_accounts%ROWTYPE;
    v_usage uuid;
    v_found ledger_transfers%ROWTYPE;
    v_kind text;
    v_today date;
    v_id uuid := gen_random_uuid();
    v_after bigint;
BEGIN
    SELECT c.name INTO v_name FROM client_facts c
     WHERE c.client_id = p_client AND c.agency_id = p_agency;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'no_client'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint,
            NULL::bigint, NULL::date, NULL::text, NULL::uuid, NULL::boolean, NULL::bigint;
        RETURN;
    END IF;
    SELECT f.funded_by, f.usage_paused INTO v_funded, v_paused FROM client_funding f
     WHERE f.client_id = p_client FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO client_funding (client_id, agency_id, funded_by, usage_paused, updated_at)
        VALUES (p_client, p_agency, 'agency', false, now()) ON CONFLICT DO NOTHING;
        SELECT f.funded_by, f.usage_paused INTO v_funded, v_paused FROM client_funding f
         WHERE f.client_id = p_client FOR UPDATE;
    END IF;
    FOR attempt IN 1..2 LOOP
        IF v_funded = 'agency' THEN
            SELECT * INTO v_account FROM ledger_accounts a
             WHERE a.agency_id = p_agency AND a.kind = 'agency' AND a.client_id IS NULL
               FOR UPDATE;
        ELSE
            SELECT * INTO v_account FROM ledger_accounts a
             WHERE a.client_id = p_client FOR UPDATE;
        END IF;
        EXIT WHEN FOUND;
        INSERT INTO ledger_accounts (id, agency_id, kind, client_id, balance, currency,
                                     low_notified, created_at)
        VALUES (gen_random_uuid(), p_agency, CASE WHEN v_funded = 'agency' THEN 'agency'
                ELSE 'client' END, CASE WHEN v_funded = 'agency' THEN NULL ELSE p_client END,
                0, 'USD', false, now())
        ON CONFLICT DO NOTHING;
    END LOOP;
    FOR attempt IN 1..2 LOOP
        SELECT a.id INTO v_usage FROM ledger_accounts a
         WHERE a.agency_id = p_agency AND a.kind = 'usage' AND a.client_id IS NULL;
        EXIT WHEN FOUND;
        INSERT INTO ledger_accounts (id, agency_id, kind, client_id, balance, currency,
                                     low_notified, created_at)
        VALUES (gen_random_uuid(), p_agency, 'usage', NULL, NULL, 'USD', false, now())
        ON CONFLICT DO NOTHING;
    END LOOP;
    SELECT * INTO v_found FROM ledger_transfers t
     WHERE t.agency_id = p_agency AND t.idempotency_key = p_key;
    IF FOUND THEN
        SELECT a.kind INTO v_kind FROM ledger_accounts a WHERE a.id = v_found.from_account_id;
        IF v_found.kind <> 'usage' OR v_found.amount <> p_amount
           OR v_found.client_id IS DISTINCT FROM p_client THEN
            RETURN QUERY SELECT 'conflict'::text, v_found.id, NULL::text, v_name,
                v_found.amount, NULL::bigint, v_found.recorded_on, v_found.kind::text,
                NULL::uuid, NULL::boolean, NULL::bigint;
            RETURN;
        END IF;
        RETURN QUERY SELECT 'repeat'::text, v_found.id,
            CASE WHEN v_kind = 'agency' THEN 'agency' ELSE 'customer' END, v_name,
            v_found.amount,
            (SELECT COALESCE(sum(CASE WHEN t.to_account_id = v_found.from_account_id
                                      THEN t.amount ELSE -t.amount END), 0)::bigint
               FROM ledger_transfers t
              WHERE (t.from_account_id = v_found.from_account_id
                     OR t.to_account_id = v_found.from_account_id)
                AND t.seq <= v_found.seq),
            v_found.recorded_on, v_found.description::text, v_found.from_account_id,
            NULL::boolean, NULL::bigint;
        RETURN;
    END IF;
    v_funded := CASE WHEN v_funded = 'agency' THEN 'agency' ELSE 'customer' END;
    IF NOT v_paused AND v_account.balance < p_amount THEN
        UPDATE client_funding SET usage_paused = true, updated_at = now()
         WHERE client_id = p_client;
        INSERT INTO outbox (event_id, agency_id, event_type, payload, created_at, attempts,
                            next_attempt_at)
        VALUES ((p_exhausted_event ->> 'event_id')::uuid, p_agency, 'balance_exhausted',
            p_exhausted_event || jsonb_build_object(
                'client_name', v_name, 'funded_by', v_funded,
                'balance', jsonb_build_object('amount', v_account.balance,
                                              'currency', v_account.currency)),
            now(), 0, now());
    END IF;
    IF v_paused OR v_account.balance < p_amount THEN
        RETURN QUERY SELECT CASE WHEN v_paused THEN 'paused' ELSE 'short' END, NULL::uuid,
            v_funded, v_name, p_amount, v_account.balance, NULL::date, p_description,
            v_account.id, v_account.low_notified, NULL::bigint;
        RETURN;
    END IF;
    v_today := (now() AT TIME ZONE COALESCE(
        (SELECT g.timezone FROM agency_facts g WHERE g.agency_id = p_agency), 'UTC'))::date;
    INSERT INTO ledger_transfers (id, agency_id, from_account_id, to_account_id, amount,
        currency, kind, client_id, description, reference, idempotency_key, recorded_on,
        created_by, created_at)
    VALUES (v_id, p_agency, v_account.id, v_usage, p_amount, v_account.currency, 'usage',
        p_client, p_description, '', p_key, v_today, p_created_by, now());
    v_after := v_account.balance - p_amount;
    INSERT INTO outbox (event_id, agency_id, event_type, payload, created_at, attempts,
                        next_attempt_at)
    VALUES ((p_event ->> 'event_id')::uuid, p_agency, 'usage_recorded',
        p_event || jsonb_build_object(
            'usage_id', v_id::text, 'client_name', v_name, 'funded_by', v_funded,
            'recorded_on', v_today::text,
            'balance_after', jsonb_build_object('amount', v_after, 'currency',
                                                v_account.currency)),
        now(), 0, now());
    RETURN QUERY SELECT 'recorded'::text, v_id, v_funded, v_name, p_amount, v_after, v_today,
        p_description, v_account.id, v_account.low_notified,
        COALESCE((SELECT s.low_threshold FROM balance_settings s
                   WHERE s.agency_id = p_agency), 0)::bigint;
END $$;
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
    op.execute(DRAW_USAGE)
    op.create_index(
        "uq_funding_requests_pending",
        "funding_requests",
        ["client_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.execute(
        "DROP FUNCTION ledger_draw_usage(uuid, uuid, bigint, text, text, text, jsonb, jsonb)"
    )
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
