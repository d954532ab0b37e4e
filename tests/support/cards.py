"""What Stripe.js does in the browser, played with the SDK against localstripe: a card entered
and confirmed on a SetupIntent that billing started. The test card numbers."""

from __future__ import annotations

import stripe

GOOD_CARD, DECLINING_CARD = "4242424242424242", "4000000000000341"


def confirm_card(stripe_url: str, secret_key: str, setup: dict, number: str = GOOD_CARD) -> str:
    """Confirm `setup` (billing's `{"setup_intent_id","customer_id",...}`) with the card
    `number` on the account of `secret_key`: the SetupIntent's id, for the gateway."""
    browser = stripe.StripeClient(secret_key, base_addresses={"api": stripe_url})
    method = browser.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        }
    )
    browser.v1.payment_methods.attach(method.id, params={"customer": setup["customer_id"]})
    browser.v1.setup_intents.confirm(setup["setup_intent_id"], params={"payment_method": method.id})
    return setup["setup_intent_id"]
