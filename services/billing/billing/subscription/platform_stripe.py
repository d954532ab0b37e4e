"""Stripe calls on the platform's own account (`PLATFORM_STRIPE_SECRET_KEY`): the agencies'
customers, their card setups and the subscription charges. Never inside a transaction."""

from __future__ import annotations

import stripe

from billing.payments.stripe_api import (
    KEY_REFUSED,
    UNKNOWN,
    CardCharge,
    charge_saved_card,
    client_for,
    find_charge,
)
from billing.settings import Settings
from kit.errors import Conflict


def platform_client(settings: Settings) -> stripe.StripeClient:
    if not settings.platform_secret_key:
        raise Conflict("Subscriptions are not set up on this platform (no Stripe key).")
    return client_for(settings.platform_secret_key, settings)


def _as_unknown(answer: tuple[str, str | None, str | None]) -> tuple[str, str | None, str | None]:
    """The platform's own key refused is the operators' to fix (logged by stripe_api), not the
    agency's card: the try stays pending, as when Stripe does not answer."""
    return (UNKNOWN, None, None) if answer[0] == KEY_REFUSED else answer


def charge_card(settings: Settings, charge: CardCharge) -> tuple[str, str | None, str | None]:
    """(PAID | DECLINED | UNKNOWN, payment intent id, decline reason) of an off-session charge
    on the platform's account (a request Stripe refused made no payment: DECLINED)."""
    return _as_unknown(charge_saved_card(platform_client(settings), charge))


def look_up_charge(settings: Settings, charge: CardCharge) -> tuple[str, str | None, str | None]:
    """`stripe_api.find_charge` on the platform's account (its key refused: UNKNOWN)."""
    return _as_unknown(find_charge(platform_client(settings), charge))
