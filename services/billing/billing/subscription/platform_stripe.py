"""Stripe calls on the platform's own account (`PLATFORM_STRIPE_SECRET_KEY`): the agencies'
customers, their card setups and the subscription charges. Never inside a transaction."""

from __future__ import annotations

import logging

import stripe

from billing.payments.stripe_api import client_for, find_payment, plain
from billing.settings import Settings
from kit.errors import Conflict

log = logging.getLogger(__name__)

PAID, DECLINED, UNKNOWN = "paid", "declined", "unknown"


def platform_client(settings: Settings) -> stripe.StripeClient:
    if not settings.platform_secret_key:
        raise Conflict("Subscriptions are not set up on this platform (no Stripe key).")
    return client_for(settings.platform_secret_key, settings)


def charge_card(
    settings: Settings,
    *,
    key: str,
    reconcile: bool,
    customer_id: str,
    payment_method_id: str,
    amount: int,
    currency: str,
    description: str,
) -> tuple[str, str | None, str | None]:
    """(outcome, payment intent id, decline reason) of an off-session charge under `key`."""
    client = platform_client(settings)
    try:
        if reconcile:
            found = find_payment(client, customer_id, key)
            if found is not None:
                if found.status == "succeeded":
                    return PAID, found.id, None
                reason = plain(found.last_payment_error).get("message") or found.status
                return DECLINED, found.id, reason
        intent = client.v1.payment_intents.create(
            params={
                "amount": amount,
                "currency": currency.lower(),
                "customer": customer_id,
                "payment_method": payment_method_id,
                "off_session": True,
                "confirm": True,
                "metadata": {"charge_key": key, "description": description},
            },
            options={"idempotency_key": key},
        )
    except stripe.CardError as exc:
        intent = plain(exc.error.payment_intent if exc.error else None)
        return DECLINED, intent.get("id"), exc.user_message or exc.code or "declined"
    except stripe.InvalidRequestError as exc:  # refused as asked: no payment was made
        log.warning("platform charge %s refused by Stripe (%s)", key, exc)
        return DECLINED, None, exc.user_message or "The payment was refused."
    except stripe.StripeError as exc:
        log.warning("platform charge %s: no answer from Stripe (%s)", key, exc)
        return UNKNOWN, None, None
    if intent.status == "succeeded":
        return PAID, intent.id, None
    return DECLINED, intent.id, f"The card needs the cardholder ({intent.status})."
