"""The billing service's own settings, read from `config.yaml` once when the service starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Settings:
    payment_terms_days: int  # an invoice is due this many days after its date
    stripe_api_base: str = "https://api.stripe.com"
    stripe_timeout: float = 10.0
    funding_link_hours: int = 72  # a customer's funding link works this long

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a missing or bad value stops the service."""
        return cls(
            payment_terms_days=_whole(config, "PAYMENT_TERMS_DAYS", minimum=0),
            stripe_api_base=str(config["STRIPE_API_BASE"]).rstrip("/"),
            stripe_timeout=float(_whole(config, "STRIPE_TIMEOUT", minimum=1)),
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
