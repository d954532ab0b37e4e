"""Charging card invoices off-session with the agency's own Stripe account.

Each try is a `PaymentAttempt` recorded and committed before Stripe is called, with the key
`charge:{invoice_id}:{attempt}` sent as the idempotency key and kept in the payment's metadata;
the result is recorded in a second transaction. A decline (or a request Stripe refused, no payment
made: the card or customer removed at Stripe) makes the invoice `failed` with Stripe's reason and
schedules the next try (the agency's retry days after the first decline, default 3 and 7) unless it
is paid or voided meanwhile. A try whose result never got recorded (timeout, crash) stays
`pending`: the next charge of that invoice first looks for that key's payment at Stripe and records
what happened there, and makes a new payment only if none exists (so a lost reply never charges
twice, even where the idempotency key is not honoured). A pending try made or last taken over
(`stripe_api.claim`: one caller wins) less than the Stripe timeout (and a margin) ago may still be
waiting for Stripe's answer in another worker or process (two runs at once, a client paying while
the run charges): it is left to that call (`skipped`), not looked up, since its payment may not
exist yet.

Stripe refusing the agency's secret key (KEY_REFUSED) is neither a decline nor a lost answer:
Stripe did nothing, so the try is recorded `not_made`, the invoice keeps its status (an `open` one
stays open: the client is not asked for a card) with the reason in `failure_reason`, and keeps
its day of charge; the agency's account is marked (payments/accounts.py) and its invoices are not
tried until a new key clears the mark, when the next run charges them as usual. A pending try
that Stripe's refusal met while looking it up stays pending: its payment is still to be found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.invoicing.invoices import event_summary
from billing.models import Invoice, PaymentAttempt, StripeAccount, StripeCustomer
from billing.payments import card_links
from billing.payments.accounts import mark_key_refused
from billing.payments.stripe_api import (
    DECLINED,
    KEY_REFUSED,
    KEY_REFUSED_REASON,
    PAID,
    UNKNOWN,
    CardCharge,
    charge_saved_card,
    claim,
    client_for,
)
from billing.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.encryption import decrypt
from kit.outbox import record_event

SKIPPED = "skipped"


@dataclass
class _Try:
    attempt_id: uuid.UUID
    secret: str
    charge: CardCharge


def charge_key(invoice_id: uuid.UUID, attempt: int) -> str:
    return f"charge:{invoice_id}:{attempt}"


def _prepare(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    invoice_id,
    by_client: bool = False,
) -> _Try | str:
    """First transaction: the attempt to make (a pending one is reused, unless its call may
    still be under way), or why there is none. `by_client`: the client pays it now with its
    card (the portal), whatever its method."""
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if invoice is None or (invoice.payment_method != "card" and not by_client):
        return SKIPPED
    if invoice.status not in ("open", "failed"):
        invoice.next_charge_on = None
        return SKIPPED
    account = session.get(StripeAccount, invoice.agency_id)
    if account is not None and account.key_refused_at is not None:
        return KEY_REFUSED  # nothing is asked of Stripe until the agency enters a new key
    customer = session.get(StripeCustomer, invoice.client_id)
    if account is None or customer is None or not customer.payment_method_id:
        _declined(session, ctx, invoice, None, "No card is saved for this client.", account)
        return DECLINED
    pending = session.scalar(
        select(PaymentAttempt).where(
            PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status == "pending"
        )
    )
    if pending is not None and not claim(session, PaymentAttempt, pending.id, settings):
        return SKIPPED
    if pending is None:
        number = 1 + session.scalar(
            select(func.count()).where(PaymentAttempt.invoice_id == invoice.id)
        )
        pending = PaymentAttempt(
            agency_id=invoice.agency_id,
            invoice_id=invoice.id,
            attempt=number,
            idempotency_key=charge_key(invoice.id, number),
            amount=invoice.total,
        )
        session.add(pending)
        session.flush()
        reconcile = False
    else:
        reconcile = True
    charge = CardCharge(
        key=pending.idempotency_key,
        customer_id=customer.customer_id,
        payment_method_id=customer.payment_method_id,
        amount=pending.amount,
        currency=invoice.currency,
        metadata={"invoice_id": str(invoice.id)},
        reconcile=reconcile,
    )
    return _Try(pending.id, decrypt(cipher, account.secret_key_token), charge)


def _call_stripe(attempt: _Try, settings: Settings):
    """(outcome, payment intent id, decline reason); UNKNOWN when Stripe's answer is lost. A
    request Stripe refused (the customer or card removed at Stripe) is DECLINED: the invoice
    fails and its client is asked for a card, as for a decline."""
    return charge_saved_card(client_for(attempt.secret, settings), attempt.charge)


def _next_try(session: Session, invoice: Invoice, account: StripeAccount | None) -> date | None:
    """The day of the next try after a decline, from the first decline, or None when done."""
    declines = session.scalars(
        select(PaymentAttempt.created_at)
        .where(PaymentAttempt.invoice_id == invoice.id, PaymentAttempt.status == "failed")
        .order_by(PaymentAttempt.created_at)
    ).all()
    days = list(account.retry_days) if account else []
    first = declines[0].date() if declines else utcnow().date()
    # Declines counted include the one being recorded now.
    index = len(declines)
    return first + timedelta(days=days[index - 1]) if 0 < index <= len(days) else None


def _declined(session, ctx, invoice: Invoice, attempt, reason: str, account) -> None:
    if attempt is not None:
        attempt.status, attempt.failure_reason = "failed", reason
        session.flush()
    if invoice.status != "failed":
        invoice.failed_at = utcnow()
    invoice.status, invoice.failure_reason = "failed", reason
    invoice.next_charge_on = _next_try(session, invoice, account) if attempt else None
    record_event(
        session,
        ctx,
        "invoice_failed",
        {
            **event_summary(invoice, session),
            "reason": reason,
            # The client's billing contact is e-mailed a link to enter a new card.
            **card_links.new_link(session, invoice),
        },
    )


def record_result(
    session: Session, ctx: Context, invoice_id, attempt_id, outcome: str, intent_id, reason
) -> None:
    """Second transaction (or a webhook's): what Stripe said, on the attempt and the invoice."""
    row = session.get(PaymentAttempt, attempt_id, with_for_update=True)
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    row.payment_intent_id, row.finished_at = intent_id, utcnow()
    if outcome == PAID:
        row.status = "succeeded"
        if invoice.status == "open":
            invoice.failure_reason = None  # an open invoice's reason: the agency's key refused
        if invoice.status in ("open", "failed"):
            invoice.status, invoice.paid_at = "paid", utcnow()
            invoice.paid_method, invoice.paid_reference = "card", intent_id
            record_event(
                session,
                ctx,
                "invoice_paid",
                {
                    **event_summary(invoice, session),
                    "paid_method": "card",
                    "paid_reference": intent_id,
                },
            )
        invoice.next_charge_on = None
    else:
        account = session.get(StripeAccount, invoice.agency_id)
        if invoice.status in ("open", "failed"):
            _declined(session, ctx, invoice, row, reason, account)
        else:
            row.status, row.failure_reason = "failed", reason


def _key_refused(session: Session, cipher: MultiFernet, invoice_id, attempt: _Try) -> None:
    """Stripe refused the agency's key on this try: nothing was made (an earlier try looked up
    stays pending), the invoice waits with the reason shown, the account is marked."""
    row = session.get(PaymentAttempt, attempt.attempt_id, with_for_update=True)
    invoice = session.get(Invoice, invoice_id, with_for_update=True)
    if row.status == "pending" and not attempt.charge.reconcile:
        row.status, row.failure_reason, row.finished_at = "not_made", KEY_REFUSED_REASON, utcnow()
    if invoice.status in ("open", "failed"):
        invoice.failure_reason = KEY_REFUSED_REASON
    mark_key_refused(session, cipher, invoice.agency_id, attempt.secret)


def charge_invoice(
    session: Session,
    cipher: MultiFernet,
    settings: Settings,
    agency_id,
    invoice_id,
    by_client: bool = False,
) -> str:
    """Charge one card invoice now: paid, declined, unknown (answer lost), key_refused (the
    agency's Stripe key refused, now or before) or skipped."""
    ctx = Context.system(str(agency_id))
    with session.begin():
        attempt = _prepare(session, ctx, cipher, settings, invoice_id, by_client)
    if isinstance(attempt, str):
        return attempt
    outcome, intent_id, reason = _call_stripe(attempt, settings)
    if outcome == UNKNOWN:
        return UNKNOWN
    if outcome == KEY_REFUSED:
        with session.begin():
            _key_refused(session, cipher, invoice_id, attempt)
        return KEY_REFUSED
    with session.begin():
        record_result(session, ctx, invoice_id, attempt.attempt_id, outcome, intent_id, reason)
    return outcome


def charge_due_cards(
    session: Session, cipher: MultiFernet, settings: Settings, agency_id, today: date
) -> dict[str, int]:
    """Charge every card invoice of the agency whose try is due by `today`; outcomes counted."""
    with session.begin():
        due = session.scalars(
            select(Invoice.id)
            .where(
                Invoice.agency_id == uuid.UUID(str(agency_id)),
                Invoice.next_charge_on <= today,
                Invoice.status.in_(("open", "failed")),
            )
            .order_by(Invoice.number)
        ).all()
    outcomes: dict[str, int] = {}
    for invoice_id in due:
        outcome = charge_invoice(session, cipher, settings, agency_id, invoice_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def agencies_with_charges_due(session: Session, utc_today: date) -> list[uuid.UUID]:
    """Agencies with a card invoice whose try is due (tomorrow in UTC covers every zone)."""
    with session.begin():
        return list(
            session.scalars(
                select(Invoice.agency_id)
                .where(Invoice.next_charge_on <= utc_today + timedelta(days=1))
                .distinct()
            )
        )
