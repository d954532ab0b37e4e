"""Stripe calls on the platform's own account (`PLATFORM_STRIPE_SECRET_KEY`): the agencies'
customers, their card setups and the subscription charges. Never inside a transaction."""

from __future__ import annotations

import stripe

from billing.payments.stripe_api import CardCharge, charge_saved_card, client_for
from billing.settings import Settings
from kit.errors import Conflict


def platform_client(settings: Settings) -> stripe.StripeClient:
    if not settings.platform_secret_key:
        raise Conflict("Subscriptions are not set up on this platform (no Stripe key).")
    return client_for(settings.platform_secret_key, settings)


def charge_card(settings: Settings, charge: CardCharge) -> tuple[str, str | None, str | None]:
    """(PAID | DECLINED | UNKNOWN, payment intent id, decline reason) of an off-session charge
    on the platform's account (a request Stripe refused made no payment: DECLINED)."""
    return charge_saved_card(platform_client(settings), charge)
