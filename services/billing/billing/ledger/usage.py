"""Recording a client's usage: a draw on whichever balance funds the client at that moment.

A draw is one database call run as one autocommitted statement, `ledger_draw_usages` (migration
0050_usagebatch_one_draw): it locks the client's funding row (a switch of the same client
waits), then the balance that funds it, and writes each transfer and its `usage_recorded`
outbox row; the locks go with that statement's own commit (the benchmark's hot path: 17
statements and an explicit COMMIT made a convoy under load). The same idempotency key answers
the recorded usage again; a key reused for another amount is `Conflict`. A draw the balance
cannot cover is refused with `LimitExceeded`, the client's usage paused (`balance_exhausted`,
once) and every later draw refused until a top-up of that balance resumes it
(`topups.resume_after_topup`).

Over RPC, the draws of one client that arrive while one is running wait and then run together
(`billing.ledger.draw_batches`): one statement, one commit, the client's locks and facts taken
once, each draw answered as it would be alone. A single draw is a batch of one.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from billing.common import clean_amount, money
from billing.facts.clients import NO_SUCH_CLIENT, find_client
from billing.ledger import accounts
from billing.ledger.amounts import decimal_text, newly_low
from billing.ledger.tables import AGENCY, LedgerAccount, LedgerTransfer
from billing.ledger.transfers import MAX_KEY
from billing.models import ClientFact
from kit.context import Context
from kit.errors import Conflict, LimitExceeded, NotFound, ValidationError
from kit.ids import parse_id
from kit.outbox import event_payload, record_event
from kit.paging import page_of

MAX_DESCRIPTION = 500
log = logging.getLogger(__name__)


def clean_key(value, field: str = "idempotency_key") -> str:
    key = str(value or "").strip() if isinstance(value, (str, int)) else ""
    if not key:
        raise ValidationError(f"{field} is required.", {field: "is required"})
    if len(key) > MAX_KEY:
        raise ValidationError(f"{field} is too long.", {field: f"at most {MAX_KEY} characters"})
    return key


def clean_description(value) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(
            "description is too long.", {"description": f"at most {MAX_DESCRIPTION} characters"}
        )
    return text


DRAW_MANY = text("SELECT * FROM ledger_draw_usages(CAST(:items AS jsonb))")


def _refusal(row) -> str:
    if row.status == "short":
        return (
            f"The {row.funded_by} balance ({decimal_text(row.balance_after)}) cannot cover this "
            f"usage ({decimal_text(row.amount)}); usage of {row.client_name} is paused until "
            "a top-up."
        )
    return (
        f"Usage of {row.client_name} is paused: its {row.funded_by} balance ran out. "
        "It resumes with the next top-up."
    )


def draw_params(ctx: Context, client: uuid.UUID, amount, description, key) -> dict:
    """One draw's item for `ledger_draw_usages`, its events' reserved fields ready."""
    amount_dict = money(amount, accounts.CURRENCY)
    recorded = event_payload(
        ctx,
        "usage_recorded",
        {"client_id": str(client), "amount": amount_dict, "description": description},
    )
    exhausted = event_payload(
        ctx, "balance_exhausted", {"client_id": str(client), "refused": amount_dict}
    )
    return {
        "agency": str(ctx.agency),
        "client": str(client),
        "amount": amount,
        "key": key,
        "description": description,
        "created_by": str(ctx.principal_id) if ctx.principal_id else None,
        "event": recorded,
        "exhausted": exhausted,
    }


def _autocommitted(session: Session, statement, params: dict):
    """`statement`'s rows, run as one autocommitted statement."""
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    try:
        return session.execute(statement, params).all()
    finally:
        session.commit()  # hands the connection back (its isolation level restored)


def draw_one(session: Session, params: dict):
    """The draw alone (a batch of one); its row."""
    (row,) = draw_many(session, [params])
    return row


def draw_many(session: Session, batch: list[dict]) -> list:
    """Draws of ONE (agency, client) in one autocommitted statement (`ledger_draw_usages`):
    each answered as it would be alone, in order, sharing the locks and one commit; their rows
    in the batch's order."""
    if len({(params["agency"], params["client"]) for params in batch}) > 1:
        raise ValueError("a batch of draws is of one agency's client")
    rows = _autocommitted(session, DRAW_MANY, {"items": json.dumps(batch)})
    return [row for row in sorted(rows, key=lambda row: row.ord)]


def _note_low(session: Session, ctx: Context, row) -> tuple[str, int] | None:
    """`balance_low` once as the draw took the balance under the threshold (a flag set with a
    conditional UPDATE: two draws crossing at once send one); (account, auto-recharge amount)
    when the agency set one, for the caller to charge after this commit."""
    with session.begin():
        flagged = session.execute(
            update(LedgerAccount)
            .where(LedgerAccount.id == row.account_id, LedgerAccount.low_notified.is_(False))
            .values(low_notified=True)
            .returning(LedgerAccount.kind, LedgerAccount.client_id)
        ).first()
        if flagged is not None:
            record_event(
                session,
                ctx,
                "balance_low",
                {
                    "account": flagged.kind,
                    "client_id": str(flagged.client_id) if flagged.client_id else None,
                    "balance": money(row.balance_after, accounts.CURRENCY),
                    "threshold": money(row.low_threshold, accounts.CURRENCY),
                },
            )
            recharge = accounts.balance_settings(session, ctx.agency).auto_recharge_amount
            if recharge:
                name = str(flagged.client_id) if flagged.client_id else flagged.kind
                return name, recharge
    return None


def _auto_recharge(recharge, due: tuple[str, int], row) -> None:
    """Top up the balance that went low from its saved card, once per crossing (the key is the
    usage's); a failure is logged: the `balance_low` e-mail already went out."""
    account, amount = due
    try:
        recharge(None if account == AGENCY else account, amount, f"auto:{row.transfer_id}")
    except Exception:  # the usage is recorded either way; the owners were told it is low
        log.warning("auto-recharge after usage %s failed", row.transfer_id, exc_info=True)


def record_usage(
    session: Session,
    ctx: Context,
    client_id,
    amount,
    description,
    idempotency_key,
    recharge: Callable[[str | None, int, str], object] | None = None,
    draw: Callable[[Session, dict], object] = draw_one,
) -> dict:
    """Record usage once per key; a draw the balance cannot cover: `LimitExceeded` (the pause
    committed first). Team callers need `manage_billing` (an integration's API token has it).
    `recharge(client_id or None, amount, key)` tops up from the saved card when the draw took
    the balance under the threshold and the agency set an auto-recharge amount. `draw(session,
    params)` runs the draw: `draw_one`, or the service's `DrawBatches` (concurrent draws of one
    client share one statement and one commit)."""
    accounts.may_change(ctx)
    amount = clean_amount(amount, positive=True)
    description = clean_description(description)
    key = clean_key(idempotency_key)
    client = parse_id(client_id, "client")
    row = draw(session, draw_params(ctx, client, amount, description, key))
    if row.status == "no_client":
        raise NotFound(NO_SUCH_CLIENT)
    if row.status == "conflict":
        raise Conflict(
            "This idempotency key was already used for a different entry "
            f"({row.description} of {row.amount}); use a new key for a new entry.",
            {"idempotency_key": "already used for a different entry"},
        )
    if row.status in ("short", "paused"):
        raise LimitExceeded(_refusal(row), {"amount": "not covered by the balance"})
    if row.status == "recorded" and newly_low(
        row.balance_after, row.low_threshold, row.low_notified
    ):
        due = _note_low(session, ctx, row)
        if due is not None and recharge is not None:
            _auto_recharge(recharge, due, row)
    return {
        "usage_id": str(row.transfer_id),
        "client_id": str(client),
        "client_name": row.client_name,
        "funded_by": row.funded_by,
        "amount": money(row.amount, accounts.CURRENCY),
        "description": row.description,
        "recorded_on": row.recorded_on.isoformat(),
        "balance_after": money(row.balance_after, accounts.CURRENCY),
    }


def list_usage(session: Session, ctx: Context, client_id, page=1, per_page=25) -> dict:
    """The client's usage records, newest first."""
    accounts.may_read(ctx)
    client = find_client(session, ctx, client_id)
    query = (
        select(LedgerTransfer, LedgerAccount.kind)
        .join(LedgerAccount, LedgerAccount.id == LedgerTransfer.from_account_id)
        .where(
            LedgerTransfer.agency_id == ctx.agency,
            LedgerTransfer.client_id == client.client_id,
            LedgerTransfer.kind == "usage",
        )
        .order_by(LedgerTransfer.seq.desc())
    )

    def to_dicts(rows) -> list[dict]:
        return [
            {
                "usage_id": str(t.id),
                "client_id": str(t.client_id),
                "funded_by": AGENCY if kind == AGENCY else "customer",
                "amount": money(t.amount, t.currency),
                "description": t.description,
                "idempotency_key": t.idempotency_key,
                "recorded_on": t.recorded_on.isoformat(),
                "created_at": t.created_at.isoformat(),
            }
            for t, kind in rows
        ]

    return page_of(session, query, page, per_page, to_dicts)


def export_usage(session: Session, ctx: Context, page=1, per_page=100) -> dict:
    """Every usage record of the agency, oldest first, a page at a time: what reporting re-reads
    to rebuild its usage figures (`python -m reporting.rebuild`). Each as its `usage_recorded`
    event told it: the client, the balance it was drawn from (`funded_by`), the amount, the
    agency's day it was recorded on and when."""
    accounts.may_read(ctx)
    query = (
        select(LedgerTransfer, LedgerAccount.kind, ClientFact.name)
        .join(LedgerAccount, LedgerAccount.id == LedgerTransfer.from_account_id)
        .outerjoin(ClientFact, ClientFact.client_id == LedgerTransfer.client_id)
        .where(LedgerTransfer.agency_id == ctx.agency, LedgerTransfer.kind == "usage")
        .order_by(LedgerTransfer.seq)
    )

    def to_dicts(rows) -> list[dict]:
        return [
            {
                "usage_id": str(t.id),
                "client_id": str(t.client_id) if t.client_id else None,
                "client_name": name or "",
                "funded_by": AGENCY if kind == AGENCY else "customer",
                "amount": money(t.amount, t.currency),
                "description": t.description,
                "recorded_on": t.recorded_on.isoformat(),
                "created_at": t.created_at.isoformat(),
            }
            for t, kind, name in rows
        ]

    return page_of(session, query, page, per_page, to_dicts, key=LedgerTransfer.id)
