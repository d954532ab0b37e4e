"""usage: `ledger_draw_usages`, many draws on one client in one statement (one commit)

Revision ID: 0021_usagespeed_draw_batches
Revises: 0020_subscription
Create Date: 2026-11-29 06:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0021_usagespeed_draw_batches"
down_revision: str | None = "0020_subscription"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The draws that wait for one client's locks run together: each item is `ledger_draw_usage`
# exactly as alone, in order, in one statement, so they share its locks and one commit (the
# hot row's limit is the lock held through the commit's WAL flush, once per commit). Each
# statement inside sees the items before it (a key twice is recorded once; a draw after the
# balance ran out is refused as paused). The answer rows carry the item's position (`ord`).
# The caller batches only draws of one (agency, client): the locks are taken in the single
# draw's order, so two batches never deadlock.
DRAW_USAGES = """
CREATE FUNCTION ledger_draw_usages(p_items jsonb) RETURNS TABLE (
    ord integer, status text, transfer_id uuid, funded_by text, client_name text,
    amount bigint, balance_after bigint, recorded_on date, description text, account_id uuid,
    low_notified boolean, low_threshold bigint
) LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_item jsonb;
    v_ord integer;
BEGIN
    FOR v_item, v_ord IN
        SELECT x.item, x.position::integer FROM jsonb_array_elements(p_items)
            WITH ORDINALITY AS x(item, position)
    LOOP
        RETURN QUERY SELECT v_ord, d.* FROM ledger_draw_usage(
            (v_item ->> 'agency')::uuid, (v_item ->> 'client')::uuid,
            (v_item ->> 'amount')::bigint, v_item ->> 'key', v_item ->> 'description',
            v_item ->> 'created_by', v_item -> 'event', v_item -> 'exhausted') d;
    END LOOP;
END $$;
"""


def upgrade() -> None:
    op.execute(DRAW_USAGES)


def downgrade() -> None:
    op.execute("DROP FUNCTION ledger_draw_usages(jsonb)")
