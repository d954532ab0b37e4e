"""The billing service's own settings, read from `config.yaml` once when the service starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    payment_terms_days: int  # an invoice is due this many days after its date
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout: float = 10.0
    # The platform's own Stripe account: the agencies' subscriptions are charged through it.
    platform_secret_key: str = ""
    platform_publishable_key: str = ""
    # Days after a renewal's first decline when the card is tried again; then read-only.
    subscription_retry_days: tuple[int, ...] = (1, 3, 5)
    funding_link_hours: int = 72  # a customer's funding link works this long

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a missing or bad value stops the service."""
        return cls(
            payment_terms_days=_whole(config, "PAYMENT_TERMS_DAYS", minimum=0),
            stripe_api_base=str(config["STRIPE_API_BASE"]).rstrip("/"),
            stripe_timeout=float(_whole(config, "STRIPE_TIMEOUT", minimum=1)),
            platform_secret_key=str(config.get("PLATFORM_STRIPE_SECRET_KEY") or ""),
            platform_publishable_key=str(config.get("PLATFORM_STRIPE_PUBLISHABLE_KEY") or ""),
            subscription_retry_days=_days(config, "SUBSCRIPTION_RETRY_DAYS"),
            funding_link_hours=_whole(
                {"FUNDING_LINK_HOURS": config.get("FUNDING_LINK_HOURS", 72)},
                "FUNDING_LINK_HOURS",
                minimum=1,
            ),
        )


def _whole(config: dict[str, Any], key: str, minimum: int) -> int:
    value = config.get(key)
    try:
        number = int(str(value).strip())
    except ValueError:
        number = minimum - 1
    if number < minimum:
        raise ValueError(
            f"billing's {key} must be a whole number of at least {minimum}, not {value!r}"
        )
    return number


def _days(config: dict[str, Any], key: str) -> tuple[int, ...]:
    """`1,3,5`: increasing whole days, at least one."""
    value = str(config.get(key) or "1,3,5")
    try:
        days = tuple(int(part) for part in value.split(",") if part.strip())
    except ValueError:
        days = ()
    if not days or days != tuple(sorted(set(days))) or days[0] < 1:
        raise ValueError(f"billing's {key} must be increasing whole days like 1,3,5, not {value!r}")
    return days
