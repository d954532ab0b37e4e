"""Refunds of paid invoices.

A card payment (an invoice paid through Stripe: `paid_method` card and a PaymentIntent as its
reference) is refunded through the agency's Stripe account: the refund is recorded and committed
`pending` before the call, with the deterministic key `refund:{invoice_id}:{n}` as Stripe's
idempotency key and in the refund's metadata; the answer is recorded in a second transaction. A
refund whose answer was lost stays pending; the next refund of that invoice first looks for the
key's refund at Stripe and records it, and only then asks for a new one. While the pending refund's
call may still be under way (made or last claimed, `stripe_api.claim`, less than the Stripe timeout
and a margin ago: two requests at once, a retry while the first is slow), another refund of the
invoice is refused (`Conflict`) and Stripe is not asked, since the first one's refund may not exist
there yet. A pending refund nobody tries again is settled the same way by billing's timer once it
is SETTLE_AFTER old (`settle_pending_refunds`, beside the balance refunds'). Anything else (a
check, cash, a transfer, a card charged outside Stripe) was paid by hand and is refunded by hand:
it is recorded as refunded at once. Refunds add up to the paid amount at most (partial refunds
allowed); each success publishes `payment_refunded` with the amounts, the client and the lines.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from billing.common import clean_amount, money
from billing.invoicing.invoices import event_summary, find_invoice, line_dict
from billing.models import Invoice, InvoiceLine, Refund
from billing.payments.accounts import key_refused, mark_key_refused, secret_key
from billing.payments.stripe_api import (
    KEY_REFUSED,
    SETTLE_AFTER,
    SETTLE_BATCH,
    claim,
    refund_payment,
)
from billing.settings import Settings
from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import (
    Conflict,
    DomainError,
    PaymentFailed,
    ServiceUnavailable,
    ValidationError,
)
from kit.inputs import clean_text, iso
from kit.outbox import record_event
from kit.paging import page_of

log = logging.getLogger(__name__)
LIVE = ("pending", "succeeded")


def refund_key(invoice_id: uuid.UUID, number: int) -> str:
    return f"refund:{invoice_id}:{number}"


def refund_dict(refund: Refund, invoice: Invoice, refunded: int) -> dict:
    return {
        "id": str(refund.id),
        "invoice_id": str(refund.invoice_id),
        "number": refund.number,
        "amount": money(refund.amount, invoice.currency),
        "reason": refund.reason,
        "method": refund.method,
        "status": refund.status,
        "stripe_refund_id": refund.stripe_refund_id,
        "failure_reason": refund.failure_reason,
        "created_at": iso(refund.created_at),
        "finished_at": iso(refund.finished_at),
        "refunded_total": money(refunded, invoice.currency),
        "refundable": money(invoice.total - refunded, invoice.currency),
    }


def _refunded(session: Session, invoice_id: uuid.UUID, statuses=("succeeded",)) -> int:
    return int(
        session.scalar(
            select(func.coalesce(func.sum(Refund.amount), 0)).where(
                Refund.invoice_id == invoice_id, Refund.status.in_(statuses)
            )
        )
    )


def _through_stripe(invoice: Invoice) -> bool:
    return invoice.paid_method == "card" and (invoice.paid_reference or "").startswith("pi_")


def _refunded_event(session: Session, ctx: Context, invoice: Invoice, refund: Refund) -> None:
    refunded = _refunded(session, invoice.id)
    lines = session.scalars(
        select(InvoiceLine)
        .where(InvoiceLine.invoice_id == invoice.id)
        .order_by(InvoiceLine.position)
    ).all()
    record_event(
        session,
        ctx,
        "payment_refunded",
        {
            **event_summary(invoice, session),
            "refund_id": str(refund.id),
            "amount": money(refund.amount, invoice.currency),
            "refunded_total": money(refunded, invoice.currency),
            "fully_refunded": refunded >= invoice.total,
            "method": refund.method,
            "reason": refund.reason,
            "paid_method": invoice.paid_method,
            "lines": [line_dict(line, invoice.currency) for line in lines],
        },
    )


@dataclass
class _Call:
    refund_id: uuid.UUID
    key: str
    amount: int
    payment_intent: str
    secret: str
    reconcile: bool


def _prepare(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    invoice_id: Any,
    amount: Any,
    reason: Any,
) -> _Call | dict:
    """First transaction: the refund recorded (done at once when paid by hand)."""
    ctx.require(permissions.MANAGE_BILLING)
    invoice = find_invoice(session, ctx, invoice_id, lock=True)
    reason = clean_text(reason, "reason", 500)
    if invoice.status != "paid":
        raise Conflict(
            f"Invoice {invoice.number} is {invoice.status}: only a paid one is refunded."
        )
    pending = session.scalar(
        select(Refund).where(Refund.invoice_id == invoice.id, Refund.status == "pending")
    )
    if pending is not None and not claim(session, Refund, pending.id, settings):
        raise Conflict(
            f"A refund of invoice {invoice.number} is under way with Stripe; look at the invoice "
            "in a moment before refunding again."
        )
    if pending is not None:
        # An earlier refund's answer was lost: settle it first (with Stripe), never pay twice.
        return _Call(
            pending.id,
            pending.idempotency_key,
            pending.amount,
            invoice.paid_reference,
            secret_key(session, invoice.agency_id, cipher),
            reconcile=True,
        )
    refundable = invoice.total - _refunded(session, invoice.id, LIVE)
    amount = refundable if amount is None else clean_amount(amount, "amount")
    if amount <= 0 or amount > refundable:
        raise ValidationError(
            f"Up to {refundable} (minor units) of invoice {invoice.number} can be refunded.",
            {"amount": f"Between 1 and {refundable}."}
            if refundable
            else {"amount": "Nothing is left to refund."},
        )
    number = 1 + session.scalar(select(func.count()).where(Refund.invoice_id == invoice.id))
    stripe_refund = _through_stripe(invoice)
    refund = Refund(
        agency_id=invoice.agency_id,
        invoice_id=invoice.id,
        number=number,
        idempotency_key=refund_key(invoice.id, number),
        amount=amount,
        reason=reason,
        method="stripe" if stripe_refund else "manual",
        status="pending" if stripe_refund else "succeeded",
        created_by=ctx.principal_id,
        finished_at=None if stripe_refund else utcnow(),
    )
    session.add(refund)
    session.flush()
    if not stripe_refund:
        _refunded_event(session, ctx, invoice, refund)
        return refund_dict(refund, invoice, _refunded(session, invoice.id))
    return _Call(
        refund.id,
        refund.idempotency_key,
        amount,
        invoice.paid_reference,
        secret_key(session, invoice.agency_id, cipher),
        reconcile=False,
    )


def _call_stripe(call: _Call, settings: Settings) -> tuple[str, str | None, str | None]:
    """(status, Stripe's refund id, failure); `unknown` when the answer is lost."""
    return refund_payment(
        call.secret,
        settings,
        call.payment_intent,
        call.amount,
        call.key,
        key_name="refund_key",
        reconcile=call.reconcile,
    )


def _record(session: Session, ctx: Context, call: _Call, status: str, refund_id, failure) -> dict:
    refund = session.get(Refund, call.refund_id, with_for_update=True)
    invoice = session.get(Invoice, refund.invoice_id, with_for_update=True)
    if refund.status == "pending":
        refund.status, refund.finished_at = status, utcnow()
        refund.stripe_refund_id, refund.failure_reason = refund_id, failure
        if status == "succeeded":
            _refunded_event(session, ctx, invoice, refund)
    return refund_dict(refund, invoice, _refunded(session, invoice.id))


def _refused_key(session: Session, cipher: MultiFernet, ctx: Context, call: _Call, failure):
    """Stripe refused the agency's key: nothing was refunded, so the refund is `failed` (one
    looked up after a lost answer stays pending: its refund is still to be found) and the
    agency's account marked; the StripeKeyRefused to raise."""
    with session.begin():
        if not call.reconcile:
            _record(session, ctx, call, "failed", None, failure)
        mark_key_refused(session, cipher, ctx.agency, call.secret)
    return key_refused()


def refund_invoice(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    invoice_id: Any,
    amount: Any = None,
    reason: Any = None,
) -> dict:
    """Refund `amount` (default: what is left) of a paid invoice; the refund as recorded."""
    with session.begin():
        prepared = _prepare(session, ctx, cipher, settings, invoice_id, amount, reason)
    if isinstance(prepared, dict):
        return prepared
    status, refund_id, failure = _call_stripe(prepared, settings)
    if status == "unknown":
        raise ServiceUnavailable(
            "Stripe did not answer; the refund will be settled on the next try."
        )
    if status == KEY_REFUSED:
        raise _refused_key(session, cipher, ctx, prepared, failure)
    with session.begin():
        answer = _record(session, ctx, prepared, status, refund_id, failure)
    if status == "failed":
        raise PaymentFailed(f"Stripe refused the refund: {failure}.", {"amount": failure})
    if prepared.reconcile:
        raise Conflict(
            "An earlier refund of this invoice was waiting for Stripe's answer and is now "
            "recorded; look at the invoice before refunding again."
        )
    return answer


def settle_pending_refunds(session: Session, cipher: MultiFernet, settings: Settings) -> int:
    """The timer's part: refunds left pending SETTLE_AFTER (a crash, a lost answer nobody tried
    again) settled with Stripe as the next refund of their invoice would (the key's refund looked
    up, made only if Stripe has none), one short transaction each side of every call; how many
    were settled."""
    with session.begin():
        rows = session.execute(
            select(Refund, Invoice.paid_reference)
            .join(Invoice, Invoice.id == Refund.invoice_id)
            .where(
                Refund.status == "pending",
                Refund.method == "stripe",
                Refund.created_at < utcnow() - SETTLE_AFTER,
            )
            .order_by(Refund.created_at)
            .limit(SETTLE_BATCH)
        ).all()
        work = []
        for refund, payment_intent in rows:
            if not claim(session, Refund, refund.id, settings):  # taken by a retry meanwhile
                continue
            try:
                secret = secret_key(session, refund.agency_id, cipher)
            except DomainError as exc:  # its Stripe keys removed meanwhile: logged, kept
                log.warning("refund %s cannot be settled: %s", refund.idempotency_key, exc)
                continue
            call = _Call(
                refund.id, refund.idempotency_key, refund.amount, payment_intent, secret, True
            )
            work.append((Context.system(str(refund.agency_id)), call))
    settled = 0
    for ctx, call in work:
        status, refund_id, failure = _call_stripe(call, settings)
        if status == KEY_REFUSED:  # stays pending until the agency enters a new key
            with session.begin():
                mark_key_refused(session, cipher, ctx.agency, call.secret)
            continue
        if status == "unknown":
            continue
        with session.begin():
            _record(session, ctx, call, status, refund_id, failure)
        settled += 1
    return settled


def list_refunds(session: Session, ctx: Context, invoice_id: Any) -> list[dict]:
    """The invoice's refunds, oldest first (view_billing)."""
    ctx.require(permissions.VIEW_BILLING)
    invoice = find_invoice(session, ctx, invoice_id)
    refunded = _refunded(session, invoice.id)
    rows = session.scalars(
        select(Refund).where(Refund.invoice_id == invoice.id).order_by(Refund.number)
    ).all()
    return [refund_dict(row, invoice, refunded) for row in rows]


def export_refunds(session: Session, ctx: Context, page: Any = 1, per_page: Any = 100) -> dict:
    """Every succeeded refund of the agency, oldest first, a page at a time: what reporting
    re-reads to rebuild its figures (`python -m reporting.rebuild`). Each with its invoice and
    client, the amount, when it was done (`refunded_at`: when Stripe or the agency confirmed it,
    the time of its `payment_refunded` event) and the service when the invoice is for one only
    (`service_id` None when its lines are of several: the refund is spread over them)."""
    ctx.require(permissions.VIEW_BILLING)
    query = (
        select(Refund, Invoice)
        .join(Invoice, Invoice.id == Refund.invoice_id)
        .where(Refund.agency_id == ctx.agency, Refund.status == "succeeded")
        .order_by(Refund.finished_at, Refund.id)
    )

    def to_dicts(rows) -> list[dict]:
        services: dict[uuid.UUID, set] = {invoice.id: set() for _, invoice in rows}
        for invoice_id, service_id in session.execute(
            select(InvoiceLine.invoice_id, InvoiceLine.service_id).where(
                InvoiceLine.invoice_id.in_(list(services))
            )
        ):
            services[invoice_id].add(service_id)
        return [
            {
                "id": str(refund.id),
                "invoice_id": str(invoice.id),
                "invoice_number": invoice.number,
                "client_id": str(invoice.client_id),
                "client_name": invoice.client_name,
                "service_id": (
                    str(next(iter(services[invoice.id])))
                    if len(services[invoice.id]) == 1
                    else None
                ),
                "amount": money(refund.amount, invoice.currency),
                "method": refund.method,
                "refunded_at": iso(refund.finished_at),
            }
            for refund, invoice in rows
        ]

    return page_of(session, query, page, per_page, to_dicts, key=Refund.id)
