"""Stripe webhooks of an agency's account: verified with that agency's webhook secret,
de-duplicated by event id, older news about a payment ignored, payment state reconciled."""

from __future__ import annotations

from typing import Any

import stripe
from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.models import PaymentAttempt, StripeAccount, StripeEvent
from billing.payments import charging
from kit.context import Context
from kit.encryption import decrypt
from kit.errors import NotFound, PermissionDenied
from kit.ids import parse_id

PAYMENT_EVENTS = {
    "payment_intent.succeeded": charging.PAID,
    "payment_intent.payment_failed": charging.DECLINED,
}


def handle_stripe_webhook(
    session: Session, cipher: MultiFernet, agency_id: Any, payload: str, signature: str
) -> dict:
    """`{"handled": bool, "reason"}`; a bad signature is PermissionDenied, changing nothing."""
    agency = parse_id(agency_id, "agency")
    account = session.get(StripeAccount, agency)
    if account is None or not account.webhook_secret_token:
        raise NotFound("No Stripe webhook is set up for this agency.")
    try:
        event = stripe.Webhook.construct_event(
            payload, signature, decrypt(cipher, account.webhook_secret_token)
        )
    except (stripe.SignatureVerificationError, ValueError):
        raise PermissionDenied("The Stripe signature does not match.") from None
    claimed = session.execute(
        insert(StripeEvent)
        .values(event_id=event.id, agency_id=agency, event_type=event.type, created=event.created)
        .on_conflict_do_nothing()
        .returning(StripeEvent.event_id)
    ).first()
    if not claimed:
        return {"handled": False, "reason": "duplicate"}
    outcome = PAYMENT_EVENTS.get(event.type)
    if outcome is None:
        return {"handled": False, "reason": "not a payment event"}
    intent = event.data.object.to_dict()
    key = (intent.get("metadata") or {}).get("charge_key")
    attempt = session.scalar(
        select(PaymentAttempt)
        .where(PaymentAttempt.agency_id == agency, PaymentAttempt.idempotency_key == key)
        .with_for_update()
    )
    if attempt is None:
        return {"handled": False, "reason": "not one of our charges"}
    # Stripe may deliver events late or out of order: a success is final, and a decline never
    # undoes one nor repeats one already recorded.
    if attempt.status == "succeeded" or (
        attempt.status == "failed" and outcome == charging.DECLINED
    ):
        return {"handled": False, "reason": "already recorded"}
    reason = (intent.get("last_payment_error") or {}).get("message") or "declined"
    charging.record_result(
        session,
        Context.system(str(agency)),
        attempt.invoice_id,
        attempt.id,
        outcome,
        intent.get("id"),
        reason,
    )
    return {"handled": True, "reason": event.type}
