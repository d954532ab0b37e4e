"""The one place billing builds a Stripe client: the agency's own secret key, the configured
base address (localstripe in development and tests), a timeout, no hidden retries (a retry is
ours to decide, with the attempt recorded first)."""

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
