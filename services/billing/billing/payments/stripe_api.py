"""The one place billing builds a Stripe client: the agency's own secret key, the configured
base address (localstripe in development and tests), a timeout, no hidden retries (a retry is
ours to decide, with the attempt recorded first). Beside it, what every card flow (clients'
invoices, balances, the platform's subscription) asks of Stripe the same way: a card setup for
Stripe.js, a saved card's summary, the payment a lost reply made."""

from __future__ import annotations

import stripe

from billing.settings import Settings


def client_for(secret_key: str, settings: Settings) -> stripe.StripeClient:
    return stripe.StripeClient(
        secret_key,
        base_addresses={"api": settings.stripe_api_base},
        http_client=stripe.RequestsClient(timeout=settings.stripe_timeout),
        max_network_retries=0,
    )


def plain(obj) -> dict:
    """A Stripe object (or None) as a plain dict: the SDK's objects are not dicts."""
    return obj.to_dict() if obj else {}


def find_payment(client: stripe.StripeClient, customer_id: str, key: str):
    """The payment made under `key` (its metadata's `charge_key`), if Stripe has one. Rare (a
    lost reply), so the whole list is read page by page (localstripe filters lists by nothing,
    Stripe by customer)."""
    payments = client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    return next(
        (
            p
            for p in payments
            if p.customer == customer_id and plain(p.metadata).get("charge_key") == key
        ),
        None,
    )


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
