"""The one place billing builds a Stripe client: the agency's own secret key, the configured
base address (localstripe in development and tests), a timeout, no hidden retries (a retry is
ours to decide, with the attempt recorded first). Beside it, what every card flow (clients'
invoices, balances, the platform's subscription) asks of Stripe the same way: a card setup for
Stripe.js, a saved card's summary, an off-session charge of a saved card (invoices, top-ups and
auto-recharges, the subscription), a refund on a payment, and whether a call recorded pending
may still be under way."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import stripe
from sqlalchemy import update
from sqlalchemy.orm import Session

from billing.settings import Settings
from kit.db import utcnow

log = logging.getLogger(__name__)

# What an off-session charge came to. DECLINED: no payment was made, the card declined or Stripe
# refused the request as asked (the card or the customer gone): final for that try, never retried
# as if the answer were lost. KEY_REFUSED: Stripe refused the account's secret key (revoked,
# rolled, wrong: AuthenticationError, PermissionError) and did nothing; neither the card's fault
# nor a lost answer, so neither a decline nor tried again until the key is replaced.
PAID, DECLINED, UNKNOWN, KEY_REFUSED = "paid", "declined", "unknown", "key_refused"
KEY_ERRORS = (stripe.AuthenticationError, stripe.PermissionError)
KEY_REFUSED_REASON = "Stripe refused the agency's secret key: nothing was charged."
# A pending refund this old is no request's own any more (Stripe's timeout is seconds): billing's
# timer settles it with Stripe, so many at a time.
SETTLE_AFTER = timedelta(minutes=5)
SETTLE_BATCH = 50
# Why a try Stripe holds no payment for failed: it never reached Stripe.
NOT_MADE = "No payment was made at Stripe."
# Beyond the Stripe timeout, before a pending call counts as abandoned (commit, clock, a slow
# worker): until then it may still reach Stripe and make its payment or refund.
IN_FLIGHT_MARGIN_SECONDS = 5


def client_for(secret_key: str, settings: Settings) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": settings.stripe_api_base},
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout),
        max_network_retries=0,
    )


def _in_flight(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS)


def may_be_under_way(recorded_at: datetime, settings: Settings) -> bool:
    """Whether a call recorded pending at `recorded_at` may still be waiting for Stripe in
    another worker or process (two runs or two requests at once, a retry while the first try's
    request is slow). Such a call is left to its caller, never looked up and made again: what it
    makes may not exist at Stripe yet, and asking again would pay or refund twice wherever the
    idempotency key is not honoured (localstripe ignores it)."""
    return utcnow() - recorded_at < _in_flight(settings)


def claim(session: Session, model, row_id, settings: Settings) -> bool:
    """Take over a pending try (a row of `model` with `status` and `claimed_at`) whose call may
    be over, to settle it with Stripe: one conditional UPDATE of its `claimed_at`, so of two
    callers at once (two retries after a crash, a retry and a timer) one wins, and the next
    caller's window counts from this claim. False: the try's own call, or the last taker's, may
    still be under way (`may_be_under_way` from its claim), or it is settled."""
    now = utcnow()
    won = session.execute(
        update(model)
        .where(
            model.id == row_id,
            model.status == "pending",
            model.claimed_at <= now - _in_flight(settings),
        )
        .values(claimed_at=now)
        .returning(model.id)
    ).first()
    return won is not None


def plain(obj) -> dict:
    """A Stripe object (or None) as a plain dict: the SDK's objects are not dicts."""
    return obj.to_dict() if obj else {}


def _find_payment(client: stripe.StripeClient, customer_id: str, key_name: str, key: str):
    """The payment made under `key` (its metadata's `key_name`), if Stripe has one. Rare (a lost
    reply), so the whole list is read page by page (localstripe filters lists by nothing, Stripe
    by customer)."""
    payments = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return next(
        (
            p
            for p in payments
            if p.customer == customer_id and plain(p.metadata).get(key_name) == key
        ),
        None,
    )


@dataclass(frozen=True)
class CardCharge:
    """An off-session charge of a customer's saved card, recorded by its flow before the call.
    `key` is Stripe's idempotency key and goes into the payment's metadata as `key_name` (beside
    `metadata`); `reconcile`: an earlier try under the key may have reached Stripe (its answer
    was lost), so its payment is looked for first."""

    key: str
    customer_id: str
    payment_method_id: str
    amount: int
    currency: str
    key_name: str = "charge_key"
    metadata: dict[str, str] = field(default_factory=dict)
    reconcile: bool = False


def charge_saved_card(
    client: stripe.StripeClient, charge: CardCharge
) -> tuple[str, str | None, str | None]:
    """Charge the saved card (`client`: the agency's account or the platform's): (PAID |
    DECLINED | UNKNOWN | KEY_REFUSED, the PaymentIntent's id, the reason when not paid). A
    payment a reconciled key already made is answered, not made again; a request Stripe refused
    (InvalidRequestError: a card or customer removed at Stripe) made no payment and is DECLINED
    with Stripe's message; KEY_REFUSED when Stripe refused the secret key (nothing done: with a
    reconciled key, the earlier try's payment is still unknown); UNKNOWN when the answer is
    lost."""
    try:
        if charge.reconcile:
            found = _find_payment(client, charge.customer_id, charge.key_name, charge.key)
            if found is not None:
                return _outcome_of(found)
        intent = client.v1.payment_intents.create(
            params={
                "amount": charge.amount,
                "currency": charge.currency.lower(),
                "customer": charge.customer_id,
                "payment_method": charge.payment_method_id,
                "off_session": True,
                "confirm": True,
                "metadata": {**charge.metadata, charge.key_name: charge.key},
            },
            options={"idempotency_key": charge.key},
        )
    except stripe.CardError as exc:
        intent = plain(exc.error.payment_intent if exc.error else None)
        return DECLINED, intent.get("id"), exc.user_message or exc.code or "declined"
    except KEY_ERRORS as exc:
        log.warning("charge %s: Stripe refused the secret key (%s)", charge.key, exc)
        return KEY_REFUSED, None, KEY_REFUSED_REASON
    except stripe.InvalidRequestError as exc:
        log.warning("charge %s refused by Stripe (%s)", charge.key, exc)
        return DECLINED, None, f"Stripe refused the payment ({exc.user_message or 'refused'})."
    except stripe.StripeError as exc:
        log.warning("charge %s: no answer from Stripe (%s)", charge.key, exc)
        return UNKNOWN, None, None
    if intent.status == "succeeded":
        return PAID, intent.id, None
    return DECLINED, intent.id, f"The payment needs the cardholder ({intent.status})."


def _outcome_of(found) -> tuple[str, str | None, str | None]:
    if found.status == "succeeded":
        return PAID, found.id, None
    return DECLINED, found.id, plain(found.last_payment_error).get("message") or found.status


def find_charge(
    client: stripe.StripeClient, charge: CardCharge
) -> tuple[str, str | None, str | None]:
    """What an earlier try under the charge's key came to at Stripe, paying nothing (settling an
    abandoned try before its flow charges anew): PAID or DECLINED as `charge_saved_card` answers,
    (DECLINED, None, NOT_MADE) when Stripe has no payment under the key, KEY_REFUSED when Stripe
    refused the secret key, UNKNOWN when Stripe does not answer."""
    try:
        found = _find_payment(client, charge.customer_id, charge.key_name, charge.key)
    except KEY_ERRORS as exc:
        log.warning("charge %s: Stripe refused the secret key (%s)", charge.key, exc)
        return KEY_REFUSED, None, KEY_REFUSED_REASON
    except stripe.StripeError as exc:
        log.warning("charge %s: no answer from Stripe (%s)", charge.key, exc)
        return UNKNOWN, None, None
    return _outcome_of(found) if found is not None else (DECLINED, None, NOT_MADE)


def new_card_setup(client: stripe.StripeClient, customer_id: str, publishable_key: str) -> dict:
    """A SetupIntent for an off-session card of `customer_id`: what Stripe.js needs to confirm
    it in the browser (`{"setup_intent_id","client_secret","publishable_key","customer_id"}`)."""
    intent = client.v1.setup_intents.create(
        params={"customer": customer_id, "payment_method_types": ["card"], "usage": "off_session"}
    )
    return {
        "setup_intent_id": intent.id,
        "client_secret": intent.client_secret,
        "publishable_key": publishable_key,
        "customer_id": customer_id,
    }


def card_summary(method, unknown: str = "") -> str:
    """How a saved card is shown (`visa ending 4242`); `unknown` for a method without a card."""
    return f"{method.card.brand} ending {method.card.last4}" if method.card else unknown


def _find_refund(client: stripe.StripeClient, payment_intent: str, key_name: str, key: str):
    """The refund made under `key` (its metadata's `key_name`) on the payment, if any."""
    refunds = client.v1.refunds.list(params={"payment_intent": payment_intent, "limit": 100})
    return next(
        (r for r in refunds.auto_paging_iter() if plain(r.metadata).get(key_name) == key), None
    )


def refund_payment(
    secret_key: str,
    settings: Settings,
    payment_intent: str,
    amount: int,
    key: str,
    *,
    key_name: str,
    reconcile: bool,
) -> tuple[str, str | None, str | None]:
    """Refund `amount` of a payment under idempotency key `key` (also in the refund's metadata
    as `key_name`); `reconcile`: a try whose answer was lost, so look for the refund it made
    first. (status, Stripe's refund id, failure); status `unknown` when the answer is lost,
    KEY_REFUSED when Stripe refused the secret key (nothing refunded, nothing looked up)."""
    client = client_for(secret_key, settings)
    try:
        found = _find_refund(client, payment_intent, key_name, key) if reconcile else None
        if found is None:
            found = client.v1.refunds.create(
                params={
                    "payment_intent": payment_intent,
                    "amount": amount,
                    "metadata": {key_name: key},
                },
                options={"idempotency_key": key},
            )
    except KEY_ERRORS as exc:
        log.warning("refund %s: Stripe refused the secret key (%s)", key, exc)
        return KEY_REFUSED, None, "Stripe refused the agency's secret key: nothing was refunded."
    except stripe.InvalidRequestError as exc:
        return "failed", None, exc.user_message or str(exc.code or "refused")
    except stripe.StripeError as exc:
        log.warning("refund %s: no answer from Stripe (%s)", key, exc)
        return "unknown", None, None
    if found.status in ("succeeded", "pending"):
        return "succeeded", found.id, None
    return "failed", found.id, found.failure_reason or found.status
