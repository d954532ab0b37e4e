"""usage: one draw function, `ledger_draw_usages`, that takes a client's locks and facts once a
batch; a single draw is a batch of one

Revision ID: 0050_usagebatch_one_draw
Revises: 0040_portaltopup_refunds_tomb
Create Date: 2026-11-29 11:30:00
"""

from collections.abc import Sequence
from importlib import import_module

from alembic import op

revision: str = "0050_usagebatch_one_draw"
down_revision: str | None = "0040_portaltopup_refunds_tomb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Before, each item of a batch ran the whole single draw (ten statements: the client's name,
# the funding lock, the balance lock, the usage account, the agency's day, the settings...)
# while the batch held the hot balance row. Now what is the same for every item of one
# (agency, client) is read once, under the same locks in the same order (funding row, then
# the balance that funds it), and each item only looks up its key, inserts its transfer (the
# trigger moves the stored balance) and its `usage_recorded` outbox row. Each item answers as
# it did alone: 'repeat' / 'conflict' for a recorded key (an earlier item of the same batch
# included), 'short' for the first draw the balance cannot cover (the usage paused and
# `balance_exhausted` recorded from that item's `exhausted` event), 'paused' for the draws
# after it, 'no_client' for a client billing does not know, else 'recorded'.
DRAW_USAGES = """
CREATE OR REPLACE FUNCTION ledger_draw_usages(p_items jsonb) RETURNS TABLE (
    ord integer, status text, transfer_id uuid, funded_by text, client_name text,
    amount bigint, balance_after bigint, recorded_on date, description text, account_id uuid,
    low_notified boolean, low_threshold bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_agency uuid := (p_items -> 0 ->> 'agency')::uuid;
    v_client uuid := (p_items -> 0 ->> 'client')::uuid;
    v_item jsonb;
    v_ord integer;
    v_amount bigint;
    v_key text;
    v_name text;
    v_funded text;
    v_paused boolean;
    v_account ledger_accounts%ROWTYPE;
    v_balance bigint;
    v_usage uuid;
    v_found ledger_transfers%ROWTYPE;
    v_kind text;
    v_today date;
    v_threshold bigint;
    v_id uuid;
BEGIN
    SELECT c.name INTO v_name FROM client_facts c
     WHERE c.client_id = v_client AND c.agency_id = v_agency;
    IF NOT FOUND THEN
        RETURN QUERY SELECT x.position::integer, 'no_client'::text, NULL::uuid, NULL::text,
            NULL::text, NULL::bigint, NULL::bigint, NULL::date, NULL::text, NULL::uuid,
            NULL::boolean, NULL::bigint
          FROM jsonb_array_elements(p_items) WITH ORDINALITY AS x(item, position);
        RETURN;
    END IF;
    SELECT f.funded_by, f.usage_paused INTO v_funded, v_paused FROM client_funding f
     WHERE f.client_id = v_client FOR UPDATE;
    IF NOT FOUND THEN
        INSERT INTO client_funding (client_id, agency_id, funded_by, usage_paused, updated_at)
        VALUES (v_client, v_agency, 'agency', false, now()) ON CONFLICT DO NOTHING;
        SELECT f.funded_by, f.usage_paused INTO v_funded, v_paused FROM client_funding f
         WHERE f.client_id = v_client FOR UPDATE;
    END IF;
    FOR attempt IN 1..2 LOOP
        IF v_funded = 'agency' THEN
            SELECT * INTO v_account FROM ledger_accounts a
             WHERE a.agency_id = v_agency AND a.kind = 'agency' AND a.client_id IS NULL
               FOR UPDATE;
        ELSE
            SELECT * INTO v_account FROM ledger_accounts a
             WHERE a.client_id = v_client FOR UPDATE;
        END IF;
        EXIT WHEN FOUND;
        INSERT INTO ledger_accounts (id, agency_id, kind, client_id, balance, currency,
                                     low_notified, created_at)
        VALUES (gen_random_uuid(), v_agency, CASE WHEN v_funded = 'agency' THEN 'agency'
                ELSE 'client' END, CASE WHEN v_funded = 'agency' THEN NULL ELSE v_client END,
                0, 'USD', false, now())
        ON CONFLICT DO NOTHING;
    END LOOP;
    FOR attempt IN 1..2 LOOP
        SELECT a.id INTO v_usage FROM ledger_accounts a
         WHERE a.agency_id = v_agency AND a.kind = 'usage' AND a.client_id IS NULL;
        EXIT WHEN FOUND;
        INSERT INTO ledger_accounts (id, agency_id, kind, client_id, balance, currency,
                                     low_notified, created_at)
        VALUES (gen_random_uuid(), v_agency, 'usage', NULL, NULL, 'USD', false, now())
        ON CONFLICT DO NOTHING;
    END LOOP;
    v_balance := v_account.balance;
    v_funded := CASE WHEN v_funded = 'agency' THEN 'agency' ELSE 'customer' END;
    v_today := (now() AT TIME ZONE COALESCE(
        (SELECT g.timezone FROM agency_facts g WHERE g.agency_id = v_agency), 'UTC'))::date;
    v_threshold := COALESCE((SELECT s.low_threshold FROM balance_settings s
                              WHERE s.agency_id = v_agency), 0);
    FOR v_item, v_ord IN
        SELECT x.item, x.position::integer FROM jsonb_array_elements(p_items)
            WITH ORDINALITY AS x(item, position)
    LOOP
        IF (v_item ->> 'agency')::uuid <> v_agency OR (v_item ->> 'client')::uuid <> v_client
        THEN
            RAISE EXCEPTION 'a batch of draws is of one agency''s client';
        END IF;
        v_amount := (v_item ->> 'amount')::bigint;
        v_key := v_item ->> 'key';
        SELECT * INTO v_found FROM ledger_transfers t
         WHERE t.agency_id = v_agency AND t.idempotency_key = v_key;
        IF FOUND THEN
            SELECT a.kind INTO v_kind FROM ledger_accounts a
             WHERE a.id = v_found.from_account_id;
            IF v_found.kind <> 'usage' OR v_found.amount <> v_amount
               OR v_found.client_id IS DISTINCT FROM v_client THEN
                RETURN QUERY SELECT v_ord, 'conflict'::text, v_found.id, NULL::text, v_name,
                    v_found.amount, NULL::bigint, v_found.recorded_on, v_found.kind::text,
                    NULL::uuid, NULL::boolean, NULL::bigint;
            ELSE
                RETURN QUERY SELECT v_ord, 'repeat'::text, v_found.id,
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
            END IF;
            CONTINUE;
        END IF;
        IF NOT v_paused AND v_balance < v_amount THEN
            UPDATE client_funding SET usage_paused = true, updated_at = now()
             WHERE client_id = v_client;
            INSERT INTO outbox (event_id, agency_id, event_type, payload, created_at, attempts,
                                next_attempt_at)
            VALUES (((v_item -> 'exhausted') ->> 'event_id')::uuid, v_agency,
                'balance_exhausted',
                (v_item -> 'exhausted') || jsonb_build_object(
                    'client_name', v_name, 'funded_by', v_funded,
                    'balance', jsonb_build_object('amount', v_balance,
                                                  'currency', v_account.currency)),
                now(), 0, now());
            RETURN QUERY SELECT v_ord, 'short'::text, NULL::uuid, v_funded, v_name, v_amount,
                v_balance, NULL::date, v_item ->> 'description', v_account.id,
                v_account.low_notified, NULL::bigint;
            v_paused := true;
            CONTINUE;
        END IF;
        IF v_paused THEN
            RETURN QUERY SELECT v_ord, 'paused'::text, NULL::uuid, v_funded, v_name, v_amount,
                v_balance, NULL::date, v_item ->> 'description', v_account.id,
                v_account.low_notified, NULL::bigint;
            CONTINUE;
        END IF;
        v_id := gen_random_uuid();
        INSERT INTO ledger_transfers (id, agency_id, from_account_id, to_account_id, amount,
            currency, kind, client_id, description, reference, idempotency_key, recorded_on,
            created_by, created_at)
        VALUES (v_id, v_agency, v_account.id, v_usage, v_amount, v_account.currency, 'usage',
            v_client, v_item ->> 'description', '', v_key, v_today, v_item ->> 'created_by',
            now());
        v_balance := v_balance - v_amount;
        INSERT INTO outbox (event_id, agency_id, event_type, payload, created_at, attempts,
                            next_attempt_at)
        VALUES (((v_item -> 'event') ->> 'event_id')::uuid, v_agency, 'usage_recorded',
            (v_item -> 'event') || jsonb_build_object(
                'usage_id', v_id::text, 'client_name', v_name, 'funded_by', v_funded,
                'recorded_on', v_today::text,
                'balance_after', jsonb_build_object('amount', v_balance, 'currency',
                                                    v_account.currency)),
            now(), 0, now());
        RETURN QUERY SELECT v_ord, 'recorded'::text, v_id, v_funded, v_name, v_amount,
            v_balance, v_today, v_item ->> 'description', v_account.id,
            v_account.low_notified, v_threshold;
    END LOOP;
END $$;
"""

DRAW_USAGE_SIGNATURE = "ledger_draw_usage(uuid, uuid, bigint, text, text, text, jsonb, jsonb)"


def _earlier(module: str, name: str) -> str:
    return getattr(import_module(f"billing.migrations.versions.{module}"), name)


def upgrade() -> None:
    op.execute(DRAW_USAGES)
    op.execute(f"DROP FUNCTION {DRAW_USAGE_SIGNATURE}")


def downgrade() -> None:
    op.execute("DROP FUNCTION ledger_draw_usages(jsonb)")
    op.execute(_earlier("0010_balances_ledger", "DRAW_USAGE"))
    op.execute(_earlier("0021_usagespeed_draw_batches", "DRAW_USAGES"))
