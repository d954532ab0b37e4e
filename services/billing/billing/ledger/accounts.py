"""The accounts of an agency's ledger: the agency balance, one per client, the system accounts;
each client's funding (agency or customer) and the agency's balance settings.

Accounts and funding rows are made on first use with INSERT ... ON CONFLICT DO NOTHING, so two
first uses at once make one. Reads answer money as `{"amount", "currency"}`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.common import clean_amount, money
from billing.facts.clients import find_client
from billing.ledger.amounts import topup_amount
from billing.ledger.tables import (
    AGENCY,
    BALANCE_KINDS,
    CLIENT,
    SYSTEM_KINDS,
    BalanceSettings,
    ClientFunding,
    FundingRequest,
    LedgerAccount,
    LedgerTransfer,
)
from billing.models import ClientFact
from kit import permissions
from kit.context import Context
from kit.errors import ValidationError
from kit.paging import page_of

CURRENCY = "USD"


def may_read(ctx: Context) -> None:
    ctx.require_any(permissions.VIEW_BILLING, permissions.MANAGE_BILLING)


def may_change(ctx: Context) -> None:
    ctx.require(permissions.MANAGE_BILLING)


def _ensure(session: Session, agency_id: uuid.UUID, kind: str, client_id=None) -> None:
    index = ["client_id"] if client_id else ["agency_id", "kind"]
    where = None if client_id else LedgerAccount.client_id.is_(None)
    session.execute(
        insert(LedgerAccount)
        .values(
            id=uuid.uuid4(),
            agency_id=agency_id,
            kind=kind,
            client_id=client_id,
            balance=0 if kind in BALANCE_KINDS else None,
            currency=CURRENCY,
            low_notified=False,
            created_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=index, index_where=where)
    )


def system_account(session: Session, agency_id: uuid.UUID, kind: str) -> LedgerAccount:
    """The agency's account of `kind` (agency or a system kind), made on first use."""
    query = select(LedgerAccount).where(
        LedgerAccount.agency_id == agency_id,
        LedgerAccount.kind == kind,
        LedgerAccount.client_id.is_(None),
    )
    found = session.scalar(query)
    if found is None:
        _ensure(session, agency_id, kind)
        found = session.scalar(query)
    return found


def client_account(session: Session, agency_id: uuid.UUID, client_id: uuid.UUID) -> LedgerAccount:
    query = select(LedgerAccount).where(LedgerAccount.client_id == client_id)
    found = session.scalar(query)
    if found is None:
        _ensure(session, agency_id, CLIENT, client_id)
        found = session.scalar(query)
    return found


def funding_of(
    session: Session, agency_id: uuid.UUID, client_id: uuid.UUID, lock: bool = False
) -> ClientFunding:
    """The client's funding row (agency-funded until the customer funds it), made on first use;
    `lock` takes its row lock: a usage and a switch of one client take turns."""
    query = select(ClientFunding).where(ClientFunding.client_id == client_id)
    if lock:
        query = query.with_for_update()
    found = session.scalar(query)
    if found is None:
        session.execute(
            insert(ClientFunding)
            .values(
                client_id=client_id,
                agency_id=agency_id,
                funded_by=AGENCY,
                usage_paused=False,
                updated_at=func.now(),
            )
            .on_conflict_do_nothing()
        )
        found = session.scalar(query)
    return found


def balance_settings(session: Session, agency_id: uuid.UUID) -> BalanceSettings:
    found = session.get(BalanceSettings, agency_id)
    return found or BalanceSettings(
        agency_id=agency_id,
        low_threshold=0,
        auto_recharge_amount=None,
        card_summary="",
        usage_rebilling="off",
        rebill_markup_bp=0,
    )


def system_balance(session: Session, account: LedgerAccount) -> int:
    """A system account's balance: what flowed in minus what flowed out (it keeps none stored)."""
    incoming = session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount), 0)).where(
            LedgerTransfer.to_account_id == account.id
        )
    )
    outgoing = session.scalar(
        select(func.coalesce(func.sum(LedgerTransfer.amount), 0)).where(
            LedgerTransfer.from_account_id == account.id
        )
    )
    return int(incoming) - int(outgoing)


def account_name(account: LedgerAccount) -> str:
    """How an account is named in a path: `agency`, a client id, or a system kind."""
    return str(account.client_id) if account.kind == CLIENT else account.kind


def find_account(session: Session, ctx: Context, name: str) -> LedgerAccount:
    """The account named in a path (`agency`, a system kind, or a client id); else NotFound."""
    if name == AGENCY or name in SYSTEM_KINDS:
        return system_account(session, ctx.agency, name)
    client = find_client(session, ctx, name)
    return client_account(session, ctx.agency, client.client_id)


def account_dict(session: Session, account: LedgerAccount) -> dict:
    balance = account.balance if account.balance is not None else system_balance(session, account)
    return {
        "account": account_name(account),
        "kind": account.kind,
        "client_id": str(account.client_id) if account.client_id else None,
        "balance": money(balance, account.currency),
    }


def get_balances(session: Session, ctx: Context) -> dict:
    """The agency balance, every client balance and the system accounts; their sum is zero."""
    may_read(ctx)
    system_account(session, ctx.agency, AGENCY)
    rows = session.scalars(
        select(LedgerAccount)
        .where(LedgerAccount.agency_id == ctx.agency)
        .order_by(LedgerAccount.kind, LedgerAccount.created_at)
    ).all()
    items = [account_dict(session, row) for row in rows]
    settings = balance_settings(session, ctx.agency)
    agency = next(item for item in items if item["kind"] == AGENCY)
    return {
        "agency": agency,
        "clients": [item for item in items if item["kind"] == CLIENT],
        "system": [item for item in items if item["kind"] in SYSTEM_KINDS],
        "low_threshold": money(settings.low_threshold, CURRENCY),
        "auto_recharge_amount": (
            money(settings.auto_recharge_amount, CURRENCY)
            if settings.auto_recharge_amount
            else None
        ),
        "card": settings.card_summary if settings.payment_method_id else None,
    }


def funding_dict(session: Session, client: ClientFact, funding: ClientFunding | None) -> dict:
    account = session.scalar(
        select(LedgerAccount).where(LedgerAccount.client_id == client.client_id)
    )
    funded_by = funding.funded_by if funding else AGENCY
    pending = session.scalar(
        select(FundingRequest).where(
            FundingRequest.client_id == client.client_id, FundingRequest.status == "pending"
        )
    )
    return {
        "client_id": str(client.client_id),
        "client_name": client.name,
        "funded_by": funded_by,
        "usage_paused": bool(funding and funding.usage_paused),
        "balance": money(account.balance if account else 0, CURRENCY),
        "customer_email": funding.customer_email if funding else None,
        "pending_request": request_dict(pending) if pending else None,
    }


def request_dict(row: FundingRequest) -> dict:
    return {
        "id": str(row.id),
        "client_id": str(row.client_id),
        "email": row.email,
        "starting_balance": money(row.starting_balance, CURRENCY),
        "message": row.message,
        "status": row.status,
        "expires_at": row.expires_at.isoformat(),
        "sent_count": row.sent_count,
        "created_at": row.created_at.isoformat(),
    }


def get_funding(session: Session, ctx: Context, client_id) -> dict:
    may_read(ctx)
    client = find_client(session, ctx, client_id)
    funding = session.get(ClientFunding, client.client_id)
    return funding_dict(session, client, funding)


def list_accounts(session: Session, ctx: Context) -> dict:
    """Every live client of the agency with its funding and balance (Settings > Accounts)."""
    may_read(ctx)
    clients = session.scalars(
        select(ClientFact)
        .where(ClientFact.agency_id == ctx.agency, ClientFact.archived.is_(False))
        .order_by(func.lower(ClientFact.name), ClientFact.client_id)
    ).all()
    fundings = {
        row.client_id: row
        for row in session.scalars(
            select(ClientFunding).where(ClientFunding.agency_id == ctx.agency)
        )
    }
    items = [funding_dict(session, c, fundings.get(c.client_id)) for c in clients]
    agency = session.scalar(
        select(LedgerAccount.balance).where(
            LedgerAccount.agency_id == ctx.agency,
            LedgerAccount.kind == AGENCY,
            LedgerAccount.client_id.is_(None),
        )
    )
    return {"agency_balance": money(agency or 0, CURRENCY), "items": items}


def set_balance_settings(
    session: Session, ctx: Context, low_threshold, auto_recharge_amount=None
) -> dict:
    """The low-balance threshold (0: no e-mail) and the auto-recharge amount (None: off)."""
    may_change(ctx)
    threshold = (
        0
        if low_threshold in (None, 0)
        else clean_amount(low_threshold, "low_threshold", positive=True)
    )
    recharge = (
        None
        if auto_recharge_amount in (None, 0)
        else topup_amount(auto_recharge_amount, "auto_recharge_amount")
    )
    if recharge is not None and threshold == 0:
        raise ValidationError(
            "Auto-recharge needs a low-balance threshold to recharge at.",
            {"low_threshold": "set a threshold for auto-recharge"},
        )
    session.execute(
        insert(BalanceSettings)
        .values(
            agency_id=ctx.agency,
            low_threshold=threshold,
            auto_recharge_amount=recharge,
            updated_at=func.now(),
        )
        .on_conflict_do_update(
            index_elements=["agency_id"],
            set_={
                "low_threshold": threshold,
                "auto_recharge_amount": recharge,
                "updated_at": func.now(),
            },
        )
    )
    return {
        "low_threshold": money(threshold, CURRENCY),
        "auto_recharge_amount": money(recharge, CURRENCY) if recharge else None,
    }


def export_balances(session: Session, ctx: Context, page=1, per_page=100) -> dict:
    """The agency's balance and each client's, a page at a time (the agency's first): what
    reporting re-reads to rebuild its balances (`python -m reporting.rebuild`). Only a balance
    that money has moved in or out of, each with its amount now and `as_of`, the time of its
    latest transfer (the time of the event that told reporting that balance)."""
    may_read(ctx)
    touched = (
        select(
            LedgerAccount.id.label("account_id"),
            func.max(LedgerTransfer.created_at).label("as_of"),
        )
        .join(
            LedgerTransfer,
            (LedgerTransfer.from_account_id == LedgerAccount.id)
            | (LedgerTransfer.to_account_id == LedgerAccount.id),
        )
        .where(LedgerAccount.agency_id == ctx.agency, LedgerAccount.kind.in_(BALANCE_KINDS))
        .group_by(LedgerAccount.id)
        .subquery()
    )
    query = (
        select(LedgerAccount, touched.c.as_of)
        .join(touched, touched.c.account_id == LedgerAccount.id)
        .order_by(LedgerAccount.kind, LedgerAccount.client_id)
    )

    def to_dicts(rows) -> list[dict]:
        return [
            {
                "account": account_name(account),
                "kind": account.kind,
                "client_id": str(account.client_id) if account.client_id else None,
                "balance": money(account.balance, account.currency),
                "as_of": as_of.isoformat(),
            }
            for account, as_of in rows
        ]

    return page_of(session, query, page, per_page, to_dicts)
