"""What the billing tests that take cards share: the agency's Stripe keys as localstripe knows
them, the test card numbers, and what Stripe.js does in the browser with a SetupIntent."""

from __future__ import annotations

from billing.payments.stripe_api import client_for
from billing.settings import Settings
from kit.encryption import make_cipher

SECRET = "sk_test_agency_secret_1234"
GOOD_CARD, DECLINING_CARD = "4242424242424242", "4000000000000341"
CIPHER = make_cipher("7XlDlu9I6yBF-Ztz-NEmxtBiYgxtO1ZZDH8vos1PJmU=")


def confirm_card(settings: Settings, setup_intent_id: str, number: str = GOOD_CARD) -> str:
    """What Stripe.js does in the browser: a card entered and confirmed on the SetupIntent (on
    its customer). The payment method's id."""
    stripe = client_for(SECRET, settings)
    intent = stripe.v1.setup_intents.retrieve(setup_intent_id)
    method = stripe.v1.payment_methods.create(
        params={
            "type": "card",
            "card": {"number": number, "exp_month": 12, "exp_year": 2031, "cvc": "123"},
        }
    )
    stripe.v1.payment_methods.attach(method.id, params={"customer": intent.customer})
    stripe.v1.setup_intents.confirm(setup_intent_id, params={"payment_method": method.id})
    return method.id
