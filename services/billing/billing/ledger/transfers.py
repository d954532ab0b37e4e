"""Posting transfers and reading an account's transfers with its running balance.

`post_transfer` is the one way money moves. In the caller's transaction it
1. locks the two accounts' rows in id order (every poster locks in one order: no deadlock, and
   the transfer's `seq` is taken after the locks, so running balances follow `seq`),
2. answers an already recorded idempotency key with that transfer (the same request again), or
   `Conflict` when the key was used for something else,
3. refuses a draw the source balance cannot cover (`Insufficient`, nothing written),
4. inserts the transfer; the database's trigger moves both stored balances (migration
   0010_balances_ledger) and CHECK balance >= 0 stands behind step 3.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.common import money
from billing.ledger.accounts import account_name, find_account, may_read
from billing.ledger.amounts import covers, csv_cell, decimal_text
from billing.ledger.tables import LedgerAccount, LedgerTransfer
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict
from kit.paging import page_of

MAX_KEY = 200


@dataclass
class Insufficient(Exception):
    """The source balance cannot cover the draw (nothing was written)."""

    balance: int
    amount: int


@dataclass
class Posted:
    transfer: LedgerTransfer
    created: bool  # False: the idempotency key was already recorded, this is that transfer
    from_balance: int | None  # stored balances after the transfer (None for a system account)
    to_balance: int | None


def lock_accounts(session: Session, *account_ids: uuid.UUID) -> dict[uuid.UUID, LedgerAccount]:
    rows = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.id.in_(account_ids))
        .order_by(LedgerAccount.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    return {row.id: row for row in rows}


def by_key(session: Session, agency_id: uuid.UUID, key: str) -> LedgerTransfer | None:
    return session.scalar(
        select(LedgerTransfer).where(
            LedgerTransfer.agency_id == agency_id, LedgerTransfer.idempotency_key == key
        )
    )


def _same_request(found: LedgerTransfer, source, target, amount, kind) -> None:
    if (found.from_account_id, found.to_account_id, found.amount, found.kind) != (
        source.id,
        target.id,
        amount,
        kind,
    ):
        raise Conflict(
            "This idempotency key was already used for a different entry "
            f"({found.kind} of {found.amount}); use a new key for a new entry.",
            {"idempotency_key": "already used for a different entry"},
        )


def post_transfer(
    session: Session,
    ctx: Context,
    source: LedgerAccount,
    target: LedgerAccount,
    amount: int,
    kind: str,
    key: str,
    recorded_on: date,
    *,
    client_id: uuid.UUID | None = None,
    description: str = "",
    reference: str = "",
) -> Posted:
    """Move `amount` from `source` to `target` once per `key` (see the module docstring)."""
    locked = lock_accounts(session, source.id, target.id)
    source, target = locked[source.id], locked[target.id]
    found = by_key(session, ctx.agency, key)
    if found is not None:
        _same_request(found, source, target, amount, kind)
        return Posted(found, False, source.balance, target.balance)
    if source.balance is not None and not covers(source.balance, amount):
        raise Insufficient(source.balance, amount)
    transfer_id = uuid.uuid4()
    inserted = session.scalar(
        insert(LedgerTransfer)
        .values(
            id=transfer_id,
            agency_id=ctx.agency,
            from_account_id=source.id,
            to_account_id=target.id,
            amount=amount,
            currency=source.currency,
            kind=kind,
            client_id=client_id,
            description=description,
            reference=reference,
            idempotency_key=key,
            recorded_on=recorded_on,
            created_by=str(ctx.principal_id) if ctx.principal_id else None,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["agency_id", "idempotency_key"])
        .returning(LedgerTransfer.id)
    )
    if inserted is None:  # the same key on other accounts, committed meanwhile
        found = by_key(session, ctx.agency, key)
        _same_request(found, source, target, amount, kind)
        return Posted(found, False, source.balance, target.balance)
    # The trigger moved the stored balances; we hold both rows, so this is what it left.
    after_source = None if source.balance is None else source.balance - amount
    after_target = None if target.balance is None else target.balance + amount
    session.expire(source, ["balance"])
    session.expire(target, ["balance"])
    transfer = session.get(LedgerTransfer, transfer_id)
    return Posted(transfer, True, after_source, after_target)


def transfer_dict(row: LedgerTransfer) -> dict:
    return {
        "id": str(row.id),
        "kind": row.kind,
        "amount": money(row.amount, row.currency),
        "client_id": str(row.client_id) if row.client_id else None,
        "description": row.description,
        "reference": row.reference,
        "idempotency_key": row.idempotency_key,
        "recorded_on": row.recorded_on.isoformat(),
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }


def _account_entries(account: LedgerAccount):
    """The account's transfers with the signed amount and the running balance after each."""
    signed = case(
        (LedgerTransfer.to_account_id == account.id, LedgerTransfer.amount),
        else_=-LedgerTransfer.amount,
    )
    return (
        select(
            LedgerTransfer,
            signed.label("signed"),
            func.sum(signed).over(order_by=LedgerTransfer.seq).label("balance_after"),
        )
        .where(
            (LedgerTransfer.from_account_id == account.id)
            | (LedgerTransfer.to_account_id == account.id)
        )
        .subquery()
    )


def list_transfers(session: Session, ctx: Context, account: str, page=1, per_page=25) -> dict:
    """The account's transfers, newest first, each with the balance after it."""
    may_read(ctx)
    found = find_account(session, ctx, account)
    entries = _account_entries(found)
    query = select(entries).order_by(entries.c.seq.desc())

    def to_dicts(rows) -> list[dict]:
        return [_entry_dict(row, found) for row in rows]

    answer = page_of(session, query, page, per_page, to_dicts)
    answer["account"] = account_name(found)
    return answer


def _entry_dict(row, account: LedgerAccount) -> dict:
    out = {
        "id": str(row.id),
        "kind": row.kind,
        "amount": money(row.amount, row.currency),
        "direction": "in" if row.signed > 0 else "out",
        "balance_after": money(int(row.balance_after), row.currency),
        "client_id": str(row.client_id) if row.client_id else None,
        "description": row.description,
        "reference": row.reference,
        "idempotency_key": row.idempotency_key,
        "recorded_on": row.recorded_on.isoformat(),
        "created_by": row.created_by,
        "created_at": row.created_at.isoformat(),
    }
    return out


CSV_COLUMNS = (
    "recorded_on",
    "kind",
    "direction",
    "amount",
    "balance_after",
    "currency",
    "description",
    "reference",
    "idempotency_key",
    "id",
)


def transfers_csv(session: Session, ctx: Context, account: str) -> str:
    """Every transfer of the account, oldest first, as CSV (formula cells neutralised)."""
    may_read(ctx)
    found = find_account(session, ctx, account)
    entries = _account_entries(found)
    rows = session.execute(select(entries).order_by(entries.c.seq)).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        entry = _entry_dict(row, found)
        writer.writerow(
            [
                csv_cell(value)
                for value in (
                    entry["recorded_on"],
                    entry["kind"],
                    entry["direction"],
                    decimal_text(row.amount),
                    decimal_text(int(row.balance_after)),
                    row.currency,
                    entry["description"],
                    entry["reference"],
                    entry["idempotency_key"],
                    entry["id"],
                )
            ]
        )
    return out.getvalue()
