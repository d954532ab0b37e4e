"""Refunding (part of) a customer's unused balance, through Stripe, to the card payments that
funded it.

A refund asks for an amount (default: the whole balance; more than the balance is a
`ValidationError` and nothing is written) under the caller's idempotency key. It is split over
the client balance's card payments (succeeded `topup_attempts` with a PaymentIntent: the
funding-link payment, card top-ups from the team or the portal, auto-recharges), newest first,
each up to what is left of it after earlier refunds; anything past what card payments funded
(manual credits) is a `manual` part, paid back by hand as the reference says.

Like billing's other Stripe calls (payments/charging.py, payments/refunds.py):
1. one transaction records the refund and its parts (`pending`), and takes each part's amount
   from the balance at once (a `refund` transfer per part, so usage cannot spend money that is
   on its way back) and commits;
2. Stripe is called per part, outside any transaction: a Refund on the payment's PaymentIntent,
   with `balance-refund:{refund}:{n}` as Stripe's idempotency key and in its metadata;
3. a second transaction records each answer; a part Stripe refused gives its amount back to the
   balance (an `adjustment` transfer); a lost answer leaves the part `pending`.
A pending part (a lost answer, a crash between 1 and 3) is settled before anything else when the
same key is tried again or the client's balance is refunded again, and otherwise by billing's timer
once it is SETTLE_AFTER old (`settle_pending_refunds`): its refund is looked up at Stripe by the
metadata key and only created if Stripe has none, so nothing is refunded twice. A part whose call
may still be under way (made or last claimed less than the Stripe timeout and a margin ago,
`stripe_api.claim`: two refunds at once, the same key again while the first is slow) is left to
that call, not looked up, since its refund may not exist at Stripe yet.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.common import clean_amount, money
from billing.facts.agencies import agency_today
from billing.facts.clients import find_client
from billing.ledger import accounts
from billing.ledger.tables import (
    REFUNDS,
    BalanceRefund,
    BalanceRefundPart,
    LedgerAccount,
    TopupAttempt,
)
from billing.ledger.transfers import lock_accounts, post_transfer
from billing.ledger.usage import clean_key
from billing.payments.accounts import key_refused, mark_key_refused, secret_key
from billing.payments.stripe_api import (
    KEY_REFUSED,
    SETTLE_AFTER,
    SETTLE_BATCH,
    claim,
    refund_payment,
)
from billing.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import (
    Conflict,
    DomainError,
    PaymentFailed,
    ServiceUnavailable,
    ValidationError,
)
from kit.outbox import record_event

log = logging.getLogger(__name__)
MAX_REFERENCE = 200
LIVE = ("pending", "succeeded")


@dataclass
class PartCall:
    part_id: uuid.UUID
    key: str
    amount: int
    payment_intent: str
    reconcile: bool  # an earlier try may have reached Stripe: look for its refund first


@dataclass
class RefundCall:
    refund_id: uuid.UUID
    secret: str | None
    parts: list[PartCall]


def _refundable_payments(
    session: Session, account: LedgerAccount
) -> list[tuple[TopupAttempt, int]]:
    """The balance's card payments, newest first, each with what is left of it to refund."""
    taken = (
        select(
            BalanceRefundPart.topup_attempt_id,
            func.sum(BalanceRefundPart.amount).label("taken"),
        )
        .where(BalanceRefundPart.status.in_(LIVE), BalanceRefundPart.topup_attempt_id.isnot(None))
        .group_by(BalanceRefundPart.topup_attempt_id)
        .subquery()
    )
    rows = session.execute(
        select(TopupAttempt, func.coalesce(taken.c.taken, 0))
        .outerjoin(taken, taken.c.topup_attempt_id == TopupAttempt.id)
        .where(
            TopupAttempt.account_id == account.id,
            TopupAttempt.status == "succeeded",
            TopupAttempt.payment_intent_id.isnot(None),
        )
        .order_by(TopupAttempt.created_at.desc(), TopupAttempt.id)
    ).all()
    return [
        (attempt, attempt.amount - int(used)) for attempt, used in rows if attempt.amount > used
    ]


def _pending_calls(session: Session, client_id: uuid.UUID, settings: Settings) -> list[PartCall]:
    """The client's pending parts to settle: those whose own call is over (lost or never made),
    each claimed (`stripe_api.claim`)."""
    parts = session.scalars(
        select(BalanceRefundPart)
        .join(BalanceRefund, BalanceRefund.id == BalanceRefundPart.refund_id)
        .where(
            BalanceRefund.client_id == client_id,
            BalanceRefundPart.status == "pending",
            BalanceRefundPart.method == "stripe",
        )
        .order_by(BalanceRefundPart.number)
    ).all()
    return [
        PartCall(p.id, p.stripe_key, p.amount, p.payment_intent_id, True)
        for p in parts
        if claim(session, BalanceRefundPart, p.id, settings)
    ]


def _split(
    session: Session, account: LedgerAccount, amount: int
) -> list[tuple[TopupAttempt | None, int]]:
    shares: list[tuple[TopupAttempt | None, int]] = []
    left = amount
    for attempt, refundable in _refundable_payments(session, account):
        if left == 0:
            break
        share = min(left, refundable)
        shares.append((attempt, share))
        left -= share
    if left:
        shares.append((None, left))  # funded otherwise (a manual credit): paid back by hand
    return shares


def _prepare(
    session: Session,
    ctx: Context,
    cipher: MultiFernet | None,
    settings: Settings,
    client_id,
    key,
    amount,
    reference,
) -> RefundCall:
    """The first transaction: the refund recorded, split, and taken from the balance."""
    accounts.may_change(ctx)
    key = clean_key(key)
    client = find_client(session, ctx, client_id)
    account = accounts.client_account(session, ctx.agency, client.client_id)
    refunds_account = accounts.system_account(session, ctx.agency, REFUNDS)
    # One refund of a client at a time; both rows in post_transfer's (id) order: no deadlock.
    account = lock_accounts(session, account.id, refunds_account.id)[account.id]
    refund_key = f"balance-refund:{ctx.agency}:{key}"
    pending = _pending_calls(session, client.client_id, settings)
    secret = secret_key(session, ctx.agency, cipher) if pending else None
    existing = session.scalar(
        select(BalanceRefund).where(BalanceRefund.idempotency_key == refund_key)
    )
    if existing is not None:
        if amount not in (None, "") and clean_amount(amount, positive=True) != existing.amount:
            raise Conflict(
                "This idempotency key was already used for a different refund.",
                {"idempotency_key": "already used for a different refund"},
            )
        return RefundCall(existing.id, secret, pending)
    balance = account.balance
    amount = balance if amount in (None, "") else clean_amount(amount, positive=True)
    if amount <= 0:
        raise Conflict("The customer balance is empty: nothing to refund.", {"amount": "empty"})
    if amount > balance:
        raise ValidationError(
            "A refund cannot exceed the customer's balance.", {"amount": f"at most {balance}"}
        )
    refund = BalanceRefund(
        agency_id=ctx.agency,
        client_id=client.client_id,
        idempotency_key=refund_key,
        amount=amount,
        reference=str(reference or "").strip()[:MAX_REFERENCE],
        status="pending",
        created_by=str(ctx.principal_id) if ctx.principal_id else None,
    )
    session.add(refund)
    session.flush()
    today = agency_today(session, ctx)
    calls = list(pending)
    for number, (attempt, share) in enumerate(_split(session, account, amount), start=1):
        part_key = f"balance-refund:{refund.id}:{number}"
        by_card = attempt is not None
        posted = post_transfer(
            session,
            ctx,
            account,
            refunds_account,
            share,
            "refund",
            part_key,
            today,
            client_id=client.client_id,
            description="Refund of unused balance"
            + (" to the card" if by_card else " (paid back by hand)"),
            reference=attempt.payment_intent_id if by_card else refund.reference,
        )
        part = BalanceRefundPart(
            agency_id=ctx.agency,
            refund_id=refund.id,
            number=number,
            method="stripe" if by_card else "manual",
            topup_attempt_id=attempt.id if by_card else None,
            payment_intent_id=attempt.payment_intent_id if by_card else None,
            amount=share,
            stripe_key=part_key,
            status="pending" if by_card else "succeeded",
            transfer_id=posted.transfer.id,
            finished_at=None if by_card else utcnow(),
        )
        session.add(part)
        session.flush()
        if by_card:
            calls.append(PartCall(part.id, part_key, share, attempt.payment_intent_id, False))
    if calls and secret is None:
        secret = secret_key(session, ctx.agency, cipher)
    _settle(session, ctx, refund)
    return RefundCall(refund.id, secret, calls)


def call_stripe(call: PartCall, secret: str, settings: Settings):
    """(status, Stripe's refund id, failure) of one part; `unknown` when the answer is lost."""
    return refund_payment(
        secret,
        settings,
        call.payment_intent,
        call.amount,
        call.key,
        key_name="balance_refund_key",
        reconcile=call.reconcile,
    )


def _record(session: Session, ctx: Context, call: PartCall, outcome) -> uuid.UUID:
    """The second transaction, per part: Stripe's answer; a refusal gives the amount back."""
    status, stripe_id, failure = outcome
    if status == KEY_REFUSED:  # nothing refunded; a part looked up is still to be found
        status = "unknown" if call.reconcile else "failed"
    part = session.get(BalanceRefundPart, call.part_id, with_for_update=True)
    refund = session.get(BalanceRefund, part.refund_id)
    if part.status != "pending" or status == "unknown":
        return refund.id
    part.status, part.stripe_refund_id = status, stripe_id
    part.failure_reason, part.finished_at = failure, utcnow()
    if status == "failed":
        account = accounts.client_account(session, ctx.agency, refund.client_id)
        posted = post_transfer(
            session,
            ctx,
            accounts.system_account(session, ctx.agency, REFUNDS),
            account,
            part.amount,
            "adjustment",
            f"{part.stripe_key}:returned",
            agency_today(session, ctx),
            client_id=refund.client_id,
            description="Refund refused by Stripe: back to the balance",
            reference=part.payment_intent_id or "",
        )
        part.return_transfer_id = posted.transfer.id
    return refund.id


def _parts(session: Session, refund: BalanceRefund) -> list[BalanceRefundPart]:
    return session.scalars(
        select(BalanceRefundPart)
        .where(BalanceRefundPart.refund_id == refund.id)
        .order_by(BalanceRefundPart.number)
    ).all()


def _settle(session: Session, ctx: Context, refund: BalanceRefund) -> None:
    """The refund's status from its parts; `balance_refunded` once, when none is pending."""
    if refund.status != "pending":
        return
    statuses = {part.status for part in _parts(session, refund)}
    if "pending" in statuses:
        return
    if statuses == {"succeeded"}:
        refund.status = "succeeded"
    elif statuses == {"failed"}:
        refund.status = "failed"
    else:
        refund.status = "partial"
    refund.finished_at = utcnow()
    if refund.status != "failed":
        record_event(session, ctx, "balance_refunded", refund_dict(session, refund))


def refund_dict(session: Session, refund: BalanceRefund) -> dict:
    parts = _parts(session, refund)
    account = accounts.client_account(session, refund.agency_id, refund.client_id)
    refunded = sum(p.amount for p in parts if p.status == "succeeded")
    return {
        "refund_id": str(refund.id),
        "transfer_id": str(parts[0].transfer_id) if parts else None,
        "client_id": str(refund.client_id),
        "amount": money(refund.amount, accounts.CURRENCY),
        "refunded": money(refunded, accounts.CURRENCY),
        "status": refund.status,
        "reference": refund.reference,
        "balance_after": money(account.balance, accounts.CURRENCY),
        "parts": [
            {
                "method": p.method,
                "payment_intent_id": p.payment_intent_id,
                "amount": money(p.amount, accounts.CURRENCY),
                "status": p.status,
                "stripe_refund_id": p.stripe_refund_id,
                "failure_reason": p.failure_reason,
            }
            for p in parts
        ],
    }


def refund_customer_balance(
    session: Session,
    ctx: Context,
    cipher: MultiFernet | None,
    settings: Settings,
    client_id,
    idempotency_key,
    amount=None,
    reference="",
) -> dict:
    """Pay back (part of) a customer's unused balance to its cards (see the module docstring).
    The refund as recorded; all of it refused: `PaymentFailed`; an answer lost:
    `ServiceUnavailable` (try again with the same key: it is settled first)."""
    with session.begin():
        call = _prepare(
            session, ctx, cipher, settings, client_id, idempotency_key, amount, reference
        )
    outcomes = [(part, call_stripe(part, call.secret, settings)) for part in call.parts]
    refused = any(outcome[0] == KEY_REFUSED for _part, outcome in outcomes)
    if outcomes:
        with session.begin():
            touched = {_record(session, ctx, part, outcome) for part, outcome in outcomes}
            for refund_id in sorted(touched):
                _settle(session, ctx, session.get(BalanceRefund, refund_id, with_for_update=True))
            if refused:
                mark_key_refused(session, cipher, ctx.agency, call.secret)
    with session.begin():
        refund = session.get(BalanceRefund, call.refund_id, populate_existing=True)
        answer = refund_dict(session, refund)
    if refused:
        raise key_refused()
    if refund.status == "pending":
        raise ServiceUnavailable(
            "The refund is pending with Stripe. Try again with the same key in a moment.",
            {"service": "stripe"},
        )
    if refund.status == "failed":
        reasons = "; ".join(p["failure_reason"] or "refused" for p in answer["parts"])
        raise PaymentFailed(f"Stripe refused the refund: {reasons}", {"amount": reasons})
    return answer


def settle_pending_refunds(session: Session, cipher: MultiFernet, settings: Settings) -> int:
    """The timer's part: settle refund parts left pending (a crash, a lost answer nobody tried
    again) with Stripe, one short transaction each side of every call; how many were settled."""
    with session.begin():
        rows = session.execute(
            select(BalanceRefundPart, BalanceRefund.agency_id)
            .join(BalanceRefund, BalanceRefund.id == BalanceRefundPart.refund_id)
            .where(
                BalanceRefundPart.status == "pending",
                BalanceRefundPart.method == "stripe",
                BalanceRefund.created_at < utcnow() - SETTLE_AFTER,
            )
            .order_by(BalanceRefund.created_at)
            .limit(SETTLE_BATCH)
        ).all()
        work = []
        for part, agency_id in rows:
            if not claim(session, BalanceRefundPart, part.id, settings):  # a retry took it
                continue
            try:
                secret = secret_key(session, agency_id, cipher)
            except DomainError as exc:  # its Stripe keys removed meanwhile: logged, kept
                log.warning("balance refund %s cannot be settled: %s", part.stripe_key, exc)
                continue
            call = PartCall(part.id, part.stripe_key, part.amount, part.payment_intent_id, True)
            work.append((Context.system(str(agency_id)), call, secret))
    settled = 0
    for ctx, call, secret in work:
        outcome = call_stripe(call, secret, settings)
        if outcome[0] == KEY_REFUSED:  # stays pending until the agency enters a new key
            with session.begin():
                mark_key_refused(session, cipher, ctx.agency, secret)
            continue
        if outcome[0] == "unknown":
            continue
        with session.begin():
            refund_id = _record(session, ctx, call, outcome)
            _settle(session, ctx, session.get(BalanceRefund, refund_id, with_for_update=True))
        settled += 1
    return settled
