"""Recording a client's usage: a draw on whichever balance funds the client at that moment.

`record_usage` runs its own transaction (it must commit a refusal's pause before raising):
the client's funding row is locked first (a funding switch of the same client waits), then the
funding balance and the usage account (`transfers.post_transfer`). The same idempotency key
answers the recorded usage again, a key reused for another amount is `Conflict`. A draw the
balance cannot cover is refused with `LimitExceeded`; the client's usage is then paused
(`balance_exhausted`, once) and every later draw refused until a top-up of that balance resumes
it (`topups.resume_after_topup`).
"""

from __future__ import annotations

import uuid

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from billing.common import money
from billing.facts.agencies import agency_today
from billing.facts.clients import find_client
from billing.ledger import accounts
from billing.ledger.amounts import decimal_text, newly_low, positive_amount
from billing.ledger.tables import AGENCY, USAGE, LedgerAccount, LedgerTransfer
from billing.ledger.transfers import MAX_KEY, Insufficient, by_key, post_transfer
from kit.context import Context
from kit.errors import LimitExceeded, ValidationError
from kit.outbox import record_event
from kit.paging import page_of

MAX_DESCRIPTION = 500


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


def balance_at(session: Session, account_id: uuid.UUID, seq: int) -> int:
    """The account's balance right after the transfer numbered `seq`."""
    signed = case(
        (LedgerTransfer.to_account_id == account_id, LedgerTransfer.amount),
        else_=-LedgerTransfer.amount,
    )
    return int(
        session.scalar(
            select(func.coalesce(func.sum(signed), 0)).where(
                (LedgerTransfer.from_account_id == account_id)
                | (LedgerTransfer.to_account_id == account_id),
                LedgerTransfer.seq <= seq,
            )
        )
    )


def usage_dict(transfer: LedgerTransfer, client_name: str, funded_by: str, after: int) -> dict:
    return {
        "usage_id": str(transfer.id),
        "client_id": str(transfer.client_id),
        "client_name": client_name,
        "funded_by": funded_by,
        "amount": money(transfer.amount, transfer.currency),
        "description": transfer.description,
        "recorded_on": transfer.recorded_on.isoformat(),
        "balance_after": money(after, transfer.currency),
    }


def note_low_balance(session: Session, ctx: Context, account: LedgerAccount, after: int) -> None:
    """`balance_low` once when a balance falls under the agency's threshold."""
    settings = accounts.balance_settings(session, ctx.agency)
    if newly_low(after, settings.low_threshold, account.low_notified):
        account.low_notified = True
        record_event(
            session,
            ctx,
            "balance_low",
            {
                "account": account.kind,
                "client_id": str(account.client_id) if account.client_id else None,
                "balance": money(after, account.currency),
                "threshold": money(settings.low_threshold, account.currency),
                "auto_recharge": settings.auto_recharge_amount is not None,
            },
        )


def _record(session: Session, ctx: Context, client_id, amount, description, key):
    """In one transaction: the usage dict, or a refusal message (already committed by caller)."""
    client = find_client(session, ctx, client_id)
    funding = accounts.funding_of(session, ctx.agency, client.client_id, lock=True)
    if funding.funded_by == AGENCY:
        source = accounts.system_account(session, ctx.agency, AGENCY)
    else:
        source = accounts.client_account(session, ctx.agency, client.client_id)
    usage = accounts.system_account(session, ctx.agency, USAGE)
    found = by_key(session, ctx.agency, key)
    if found is None and funding.usage_paused:
        return (
            f"Usage of {client.name} is paused: its {funding.funded_by} balance ran out. "
            "It resumes with the next top-up."
        )
    try:
        posted = post_transfer(
            session,
            ctx,
            source,
            usage,
            amount,
            "usage",
            key,
            agency_today(session, ctx),
            client_id=client.client_id,
            description=description,
        )
    except Insufficient as short:
        if not funding.usage_paused:
            funding.usage_paused = True
            record_event(
                session,
                ctx,
                "balance_exhausted",
                {
                    "client_id": str(client.client_id),
                    "client_name": client.name,
                    "funded_by": funding.funded_by,
                    "balance": money(short.balance, source.currency),
                    "refused": money(amount, source.currency),
                },
            )
        return (
            f"The {funding.funded_by} balance ({decimal_text(short.balance)}) cannot cover this "
            f"usage ({decimal_text(amount)}); usage of {client.name} is paused until a top-up."
        )
    transfer = posted.transfer
    if not posted.created:
        # The same request again: answer as the first time (the source it drew from then).
        drew_from = session.get(LedgerAccount, transfer.from_account_id)
        funded_by = AGENCY if drew_from.kind == AGENCY else "customer"
        return usage_dict(
            transfer, client.name, funded_by, balance_at(session, drew_from.id, transfer.seq)
        )
    answer = usage_dict(transfer, client.name, funding.funded_by, posted.from_balance)
    record_event(session, ctx, "usage_recorded", answer)
    note_low_balance(session, ctx, source, posted.from_balance)
    return answer


def record_usage(
    session: Session, ctx: Context, client_id, amount, description, idempotency_key
) -> dict:
    """Record usage once per key; a draw the balance cannot cover: `LimitExceeded` (committed
    pause first). Team callers need `manage_billing` (an integration's API token has it)."""
    accounts.may_change(ctx)
    amount = positive_amount(amount)
    description = clean_description(description)
    key = clean_key(idempotency_key)
    with session.begin():
        answer = _record(session, ctx, client_id, amount, description, key)
    if isinstance(answer, str):
        raise LimitExceeded(answer, {"amount": "not covered by the balance"})
    return answer


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
