"""The client portal's prepaid balance: a portal contact of a customer-funded client sees the
client's balance and its recent transfers, and tops it up by card (at least $25) through the
agency's own Stripe account: with the saved card, or a new one Stripe.js confirmed (saved first,
payments/cards.py). The top-up is a card top-up of the client's balance like the team's
(ledger/topups.py: attempt recorded first, one ledger transfer per idempotency key, paused usage
resumed), under a key of the portal's own (`portal:{key}`).

The client is the call context's (a portal principal's `client_id`), never a parameter; a
contact of an agency-funded client has no balance here (`NotFound`, as an unknown page).
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.common import money
from billing.ledger import accounts, topups
from billing.ledger.amounts import MIN_TOPUP, topup_amount
from billing.ledger.tables import ClientFunding, LedgerAccount
from billing.ledger.transfers import _account_entries, _entry_dict
from billing.ledger.usage import clean_key
from billing.models import StripeAccount, StripeCustomer
from billing.payments import cards
from billing.payments.portal_payments import _client_of
from billing.settings import Settings
from kit.context import Context
from kit.errors import Conflict, NotFound, ValidationError

RECENT = 10
MAX_KEY = 100  # `topup:{agency}:portal:{key}` stays within the attempt's key column
CUSTOMER = "customer"


def _customer_funded(session: Session, ctx: Context) -> uuid.UUID:
    """The contact's client, if its customer funds its usage; otherwise NotFound."""
    client_id = _client_of(ctx)
    funding = session.get(ClientFunding, client_id)
    if funding is None or funding.agency_id != ctx.agency or funding.funded_by != CUSTOMER:
        raise NotFound("There is no prepaid balance for this account.")
    return client_id


def portal_balance(session: Session, ctx: Context) -> dict:
    """`{"client_id","balance","usage_paused","card_payments","card","minimum_topup",
    "transfers":[the last ten, newest first, with balance_after]}`."""
    client_id = _customer_funded(session, ctx)
    funding = session.get(ClientFunding, client_id)
    account = session.scalar(select(LedgerAccount).where(LedgerAccount.client_id == client_id))
    transfers = []
    if account is not None:
        entries = _account_entries(account)
        rows = session.execute(select(entries).order_by(entries.c.seq.desc()).limit(RECENT)).all()
        transfers = [_entry_dict(row, account) for row in rows]
        for entry in transfers:  # the contact sees what moved, not the team's bookkeeping
            entry.pop("idempotency_key", None)
            entry.pop("created_by", None)
    customer = session.get(StripeCustomer, client_id)
    saved = customer is not None and customer.agency_id == ctx.agency and customer.payment_method_id
    return {
        "client_id": str(client_id),
        "balance": money(account.balance if account else 0, accounts.CURRENCY),
        "usage_paused": funding.usage_paused,
        "card_payments": session.get(StripeAccount, ctx.agency) is not None,
        "card": customer.card_summary if saved else None,
        "minimum_topup": money(MIN_TOPUP, accounts.CURRENCY),
        "transfers": transfers,
    }


def portal_top_up(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    amount: Any,
    idempotency_key: Any,
    setup_intent_id: Any = None,
) -> dict:
    """Top up the contact's client's balance by card now: the card of `setup_intent_id` (saved
    first, for later top-ups and invoices too) or the saved one. The `balance_topped_up`
    payload; under $25: ValidationError; declined: PaymentFailed."""
    key = clean_key(idempotency_key)
    if len(key) > MAX_KEY:
        raise ValidationError("idempotency_key is too long.", {"idempotency_key": "too long"})
    topup_amount(amount)  # refused before any card is touched
    with session.begin():
        client_id = _customer_funded(session, ctx)
        if session.get(StripeAccount, ctx.agency) is None:
            raise Conflict("Card payments are off: ask the agency how to pay.")
        customer = session.get(StripeCustomer, client_id)
        has_card = customer is not None and bool(customer.payment_method_id)
    if setup_intent_id:
        cards.save_card(session, ctx, cipher, settings, str(client_id), setup_intent_id)
    elif not has_card:
        raise ValidationError("Enter a card first.", {"setup_intent_id": "No card is saved."})
    return topups.charge_balance(
        session, ctx, cipher, settings, amount, f"portal:{key}", str(client_id)
    )
