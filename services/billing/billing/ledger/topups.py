"""Money into a balance: a manual credit (a transfer the agency received) and a card top-up with
the agency's own Stripe account (money back out, a refund of an unused customer balance, is
ledger/balance_refunds.py).

A card top-up follows billing's charging pattern (payments/charging.py): the attempt is recorded
and committed with its idempotency key before Stripe is called, the key goes to Stripe as the
idempotency key and into the payment's metadata, and the result is recorded in a second
transaction, where the money enters the ledger. The same key again after a lost answer looks
that try's payment up at Stripe before paying anew (`take_attempt`). A top-up of a balance
resumes the usage it had paused and re-arms the low-balance e-mail once the balance is back at
the threshold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import stripe
from cryptography.fernet import MultiFernet
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.common import clean_amount, money
from billing.facts.agencies import agency_today
from billing.facts.clients import find_client
from billing.ledger import accounts
from billing.ledger.amounts import topup_amount
from billing.ledger.tables import (
    ADJUSTMENTS,
    AGENCY,
    CARD_TOPUPS,
    BalanceSettings,
    ClientFunding,
    LedgerAccount,
    TopupAttempt,
)
from billing.ledger.transfers import Posted, post_transfer
from billing.ledger.usage import clean_key
from billing.models import StripeAccount, StripeCustomer
from billing.payments.accounts import key_refused, mark_key_refused, refusal_recorded, secret_key
from billing.payments.stripe_api import (
    KEY_REFUSED,
    PAID,
    UNKNOWN,
    CardCharge,
    card_summary,
    charge_saved_card,
    claim,
    client_for,
    new_card_setup,
)
from billing.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, PaymentFailed, ServiceUnavailable, ValidationError
from kit.outbox import record_event

MAX_REFERENCE = 200


def target_account(session: Session, ctx: Context, client_id=None) -> LedgerAccount:
    """The agency balance (no client) or the client's own balance."""
    if client_id in (None, ""):
        return accounts.system_account(session, ctx.agency, AGENCY)
    client = find_client(session, ctx, client_id)
    return accounts.client_account(session, ctx.agency, client.client_id)


def after_topup(
    session: Session, ctx: Context, account: LedgerAccount, posted: Posted, method: str
) -> dict:
    """The event of money in, and what it changes: paused usage resumes, the low e-mail re-arms."""
    transfer = posted.transfer
    answer = {
        "transfer_id": str(transfer.id),
        "account": account.kind,
        "client_id": str(account.client_id) if account.client_id else None,
        "amount": money(transfer.amount, transfer.currency),
        "method": method,
        "balance_after": money(posted.to_balance, transfer.currency),
    }
    if not posted.created:
        return answer
    record_event(session, ctx, "balance_topped_up", answer)
    settings = accounts.balance_settings(session, ctx.agency)
    if posted.to_balance >= settings.low_threshold:
        session.execute(
            update(LedgerAccount).where(LedgerAccount.id == account.id).values(low_notified=False)
        )
    resume_after_topup(session, ctx, account)
    return answer


def resume_after_topup(session: Session, ctx: Context, account: LedgerAccount) -> None:
    """Clients whose usage this balance funds, paused for want of it, may draw again."""
    query = update(ClientFunding).where(
        ClientFunding.agency_id == ctx.agency, ClientFunding.usage_paused.is_(True)
    )
    if account.kind == AGENCY:
        query = query.where(ClientFunding.funded_by == AGENCY)
    else:
        query = query.where(
            ClientFunding.client_id == account.client_id, ClientFunding.funded_by == "customer"
        )
    session.execute(query.values(usage_paused=False, updated_at=utcnow()))


def record_manual_credit(
    session: Session, ctx: Context, amount, reference, idempotency_key, client_id=None
) -> dict:
    """A transfer the agency received (bank transfer, check), credited with its reference."""
    accounts.may_change(ctx)
    amount = clean_amount(amount, positive=True)
    key = clean_key(idempotency_key)
    reference = str(reference or "").strip()
    if not reference or len(reference) > MAX_REFERENCE:
        raise ValidationError(
            "A manual credit needs the reference of the transfer received.",
            {"reference": f"required, at most {MAX_REFERENCE} characters"},
        )
    account = target_account(session, ctx, client_id)
    source = accounts.system_account(session, ctx.agency, ADJUSTMENTS)
    posted = post_transfer(
        session,
        ctx,
        source,
        account,
        amount,
        "manual_credit",
        key,
        agency_today(session, ctx),
        client_id=account.client_id,
        description="Manual credit",
        reference=reference,
    )
    return after_topup(session, ctx, account, posted, "manual")


# Card top-ups --------------------------------------------------------------------------------


@dataclass
class CardTry:
    attempt_id: uuid.UUID
    secret: str
    charge: CardCharge
    account_id: uuid.UUID


def topup_charge(
    key: str, customer_id: str, payment_method_id: str, amount: int, reconcile: bool
) -> CardCharge:
    """The charge of a card payment into a balance (its key in the metadata as `topup_key`)."""
    return CardCharge(
        key,
        customer_id,
        payment_method_id,
        amount,
        accounts.CURRENCY,
        key_name="topup_key",
        reconcile=reconcile,
    )


def _card_of(session: Session, ctx: Context, account: LedgerAccount) -> tuple[str, str]:
    if account.kind == AGENCY:
        settings = accounts.balance_settings(session, ctx.agency)
        customer, method = settings.stripe_customer_id, settings.payment_method_id
    else:
        row = session.get(StripeCustomer, account.client_id)
        customer, method = (row.customer_id, row.payment_method_id) if row else (None, None)
    if not customer or not method:
        raise Conflict(
            "No card is saved for this balance: save a card first.",
            {"card": "no saved card"},
        )
    return customer, method


def take_attempt(session: Session, attempt: TopupAttempt, settings: Settings) -> bool:
    """An attempt tried again under its key, taken for this call: whether its earlier try may
    have reached Stripe (still pending: its answer was lost or its caller died), so its payment
    is looked up before any new one (`CardCharge.reconcile`). A pending try made or taken less
    than the Stripe timeout and a margin ago may still be under way: ServiceUnavailable, try
    again with the same key in a moment; one that failed is charged anew."""
    if attempt.status == "pending":
        if not claim(session, TopupAttempt, attempt.id, settings):
            raise ServiceUnavailable(
                "The payment is still under way with Stripe; try again in a moment.",
                {"service": "stripe"},
            )
        return True
    attempt.status, attempt.failure_reason, attempt.claimed_at = "pending", None, utcnow()
    return False


def _prepare_card(session, ctx, cipher, settings, amount, key, client_id) -> CardTry | dict:
    account = target_account(session, ctx, client_id)
    stripe_key = f"topup:{ctx.agency}:{key}"
    attempt = session.scalar(
        select(TopupAttempt).where(TopupAttempt.idempotency_key == stripe_key).with_for_update()
    )
    if attempt is not None and (attempt.amount, attempt.account_id) != (amount, account.id):
        raise Conflict(
            "This idempotency key was already used for a different top-up.",
            {"idempotency_key": "already used for a different top-up"},
        )
    if attempt is not None and attempt.status == "succeeded":
        posted = post_transfer(  # answers the recorded transfer (same key, nothing moves)
            session,
            ctx,
            accounts.system_account(session, ctx.agency, CARD_TOPUPS),
            account,
            amount,
            "topup",
            stripe_key,
            agency_today(session, ctx),
        )
        return after_topup(session, ctx, account, posted, "card")
    customer, method = _card_of(session, ctx, account)
    secret = secret_key(session, ctx.agency, cipher)
    if attempt is None:
        attempt = TopupAttempt(
            agency_id=ctx.agency, account_id=account.id, amount=amount, idempotency_key=stripe_key
        )
        session.add(attempt)
        session.flush()
        reconcile = False
    else:
        reconcile = take_attempt(session, attempt, settings)
    charge = topup_charge(stripe_key, customer, method, amount, reconcile)
    return CardTry(attempt.id, secret, charge, account.id)


def charge_card(attempt: CardTry, settings: Settings) -> tuple[str, str | None, str | None]:
    """(PAID | DECLINED | UNKNOWN | KEY_REFUSED, payment intent id, reason); a request Stripe
    refused (the card or customer removed at Stripe) is DECLINED: the attempt fails,
    `PaymentFailed`; the agency's key refused: `refused_key_try`."""
    return charge_saved_card(client_for(attempt.secret, settings), attempt.charge)


def refused_key_try(
    session: Session, cipher: MultiFernet, agency_id, attempt: CardTry, reason: str | None
):
    """Stripe refused the agency's key on this try: nothing was paid, so the attempt fails (the
    same key charges anew once a new key is in; one looked up after a lost answer stays
    pending), the agency's account is marked; the StripeKeyRefused to raise."""
    with session.begin():
        row = session.get(TopupAttempt, attempt.attempt_id, with_for_update=True)
        if row.status == "pending" and not attempt.charge.reconcile:
            row.status, row.failure_reason = "failed", reason
        mark_key_refused(session, cipher, agency_id, attempt.secret)
    return key_refused()


def _finish_card(session, ctx, attempt: CardTry, outcome, intent_id, reason) -> dict | str:
    row = session.get(TopupAttempt, attempt.attempt_id, with_for_update=True)
    row.payment_intent_id = intent_id
    if outcome != PAID:
        row.status, row.failure_reason = "failed", reason
        return reason or "The card was declined."
    row.status = "succeeded"
    account = session.get(LedgerAccount, attempt.account_id)
    posted = post_transfer(
        session,
        ctx,
        accounts.system_account(session, ctx.agency, CARD_TOPUPS),
        account,
        attempt.charge.amount,
        "topup",
        attempt.charge.key,
        agency_today(session, ctx),
        client_id=account.client_id,
        description="Card top-up",
        reference=intent_id or "",
    )
    row.transfer_id = posted.transfer.id
    return after_topup(session, ctx, account, posted, "card")


def top_up_by_card(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    amount,
    idempotency_key,
    client_id=None,
) -> dict:
    """Charge the saved card of the balance (the agency's, or the client's customer's) at least
    $25, off-session, and credit the balance; a decline is `PaymentFailed` (recorded first)."""
    accounts.may_change(ctx)
    return charge_balance(session, ctx, cipher, settings, amount, idempotency_key, client_id)


def charge_balance(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    amount,
    idempotency_key,
    client_id=None,
) -> dict:
    """`top_up_by_card` once the caller may (the team's permission, or the client's own portal
    contact: ledger/portal_balance.py)."""
    amount = topup_amount(amount)
    key = clean_key(idempotency_key)
    with session.begin():
        attempt = _prepare_card(session, ctx, cipher, settings, amount, key, client_id)
    if isinstance(attempt, dict):
        return attempt
    outcome, intent_id, reason = charge_card(attempt, settings)
    if outcome == UNKNOWN:
        raise ServiceUnavailable(
            "Stripe did not answer; the top-up is pending. Try again with the same key.",
            {"service": "stripe"},
        )
    if outcome == KEY_REFUSED:
        raise refused_key_try(session, cipher, ctx.agency, attempt, reason)
    with session.begin():
        answer = _finish_card(session, ctx, attempt, outcome, intent_id, reason)
    if isinstance(answer, str):
        raise PaymentFailed(f"The top-up was declined: {answer}", {"card": answer})
    return answer


# The agency's own card (for top-ups of the agency balance) ------------------------------------


def start_agency_card_setup(
    session: Session, ctx: Context, cipher: MultiFernet, settings: Settings
) -> dict:
    """A SetupIntent on the agency's own customer in its Stripe account (made on first use):
    what Stripe.js needs to save the agency's card."""
    accounts.may_change(ctx)
    with session.begin():
        secret = secret_key(session, ctx.agency, cipher)
        publishable = session.get(StripeAccount, ctx.agency).publishable_key
        row = accounts.balance_settings(session, ctx.agency)
        customer_id = row.stripe_customer_id
    api = client_for(secret, settings)
    if customer_id is None:
        with refusal_recorded(session, cipher, ctx.agency, secret):
            customer_id = api.v1.customers.create(
                params={"name": "Agency balance", "metadata": {"agency_id": str(ctx.agency)}},
                options={"idempotency_key": f"agency-customer:{ctx.agency}"},
            ).id
        with session.begin():
            session.execute(
                insert(BalanceSettings)
                .values(
                    agency_id=ctx.agency,
                    low_threshold=0,
                    stripe_customer_id=customer_id,
                    card_summary="",
                    updated_at=utcnow(),
                )
                .on_conflict_do_update(
                    index_elements=["agency_id"],
                    set_={"stripe_customer_id": customer_id},
                    where=BalanceSettings.stripe_customer_id.is_(None),
                )
            )
            customer_id = session.get(BalanceSettings, ctx.agency).stripe_customer_id
    with refusal_recorded(session, cipher, ctx.agency, secret):
        return new_card_setup(api, customer_id, publishable)


def save_agency_card(
    session: Session, ctx: Context, cipher: MultiFernet, settings: Settings, setup_intent_id
) -> dict:
    """Keep the card of a SetupIntent Stripe.js confirmed as the agency's top-up card."""
    accounts.may_change(ctx)
    with session.begin():
        secret = secret_key(session, ctx.agency, cipher)
        customer_id = accounts.balance_settings(session, ctx.agency).stripe_customer_id
    if customer_id is None:
        raise Conflict("Start a card setup first.", {"setup_intent_id": "no setup started"})
    api = client_for(secret, settings)
    try:
        with refusal_recorded(session, cipher, ctx.agency, secret):
            intent = api.v1.setup_intents.retrieve(str(setup_intent_id or "")[:200])
    except stripe.StripeError:
        intent = None
    if intent is None or intent.status != "succeeded" or intent.customer != customer_id:
        raise ValidationError(
            "The card was not saved: the setup is not complete.",
            {"setup_intent_id": "not a completed setup of the agency's card"},
        )
    with refusal_recorded(session, cipher, ctx.agency, secret):
        method = api.v1.payment_methods.retrieve(intent.payment_method)
    summary = card_summary(method)
    with session.begin():
        row = session.get(BalanceSettings, ctx.agency, with_for_update=True)
        row.payment_method_id, row.card_summary = method.id, summary
    return {"card": summary}
