"""The platform subscription's arithmetic and settings, as plain functions."""

from __future__ import annotations

import pytest

from billing.settings import Settings
from billing.subscription.lifecycle import upgrade_amount


def test_an_upgrade_costs_the_price_difference_for_the_days_left_per_user():
    # (29.00 - 19.00) x 2 users x 10 / 30 = 6.666... -> 6.67
    assert upgrade_amount(1900, 2900, users=2, days_left=10) == 667
    assert upgrade_amount(1900, 4900, users=1, days_left=30) == 3000
    assert upgrade_amount(1900, 2900, users=3, days_left=1) == 100
    assert upgrade_amount(1900, 2900, users=5, days_left=0) == 0
    assert upgrade_amount(1900, 2900, users=5, days_left=-3) == 0


def config(**overrides):
    return {
        "PAYMENT_TERMS_DAYS": "14",
        "STRIPE_API_BASE": "http://127.0.0.1:8420",
        "STRIPE_TIMEOUT": "10",
        **overrides,
    }


def test_the_platform_account_and_retry_days_come_from_the_configuration():
    settings = Settings.from_config(
        config(
            PLATFORM_STRIPE_SECRET_KEY="sk_test_x",
            PLATFORM_STRIPE_PUBLISHABLE_KEY="pk_test_x",
            SUBSCRIPTION_RETRY_DAYS="2,4",
        )
    )
    assert (settings.platform_secret_key, settings.platform_publishable_key) == (
        "sk_test_x",
        "pk_test_x",
    )
    assert settings.subscription_retry_days == (2, 4)
    assert Settings.from_config(config()).subscription_retry_days == (1, 3, 5)


@pytest.mark.parametrize("days", ["0,2", "3,1", "a,b", "2,2"])
def test_retry_days_that_make_no_sense_stop_the_service(days):
    with pytest.raises(ValueError, match="SUBSCRIPTION_RETRY_DAYS"):
        Settings.from_config(config(SUBSCRIPTION_RETRY_DAYS=days))
