"""The platform subscription's charge twice at once (two renewal timers, two service processes),
on real PostgreSQL and localstripe with the charge reaching Stripe late through a proxy
(tests/support/stripe_proxy.py): the agency's card is charged once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
import test_concurrent_refunds as concurrent_refunds
from sqlalchemy import select
from stripe_cards import confirm_card

from billing.payments.stripe_api import PAID, UNKNOWN, client_for
from billing.subscription import lifecycle
from billing.subscription.models import PlatformCharge, PlatformInvoice, PlatformSubscription

PLATFORM_SECRET = "sk_test_platform_local"
CHARGE = ("POST", "/v1/payment_intents")
# The proxy in front of localstripe, and calls at once, as in test_concurrent_refunds.
proxy, at_once = concurrent_refunds.proxy, concurrent_refunds.at_once


@pytest.fixture
def platform(settings, proxy):
    """Billing's settings with the platform's Stripe key, Stripe behind the proxy."""
    return replace(settings, platform_secret_key=PLATFORM_SECRET, stripe_api_base=proxy.url)


@pytest.fixture
def renewal_due(session, ctx, platform):
    """The agency's saved card on the platform's account and a renewal invoice of 3800 to
    charge: (its id, the agency's Stripe customer)."""
    setup = lifecycle.start_card_setup(session, ctx, platform)
    confirm_card(platform, setup["setup_intent_id"])
    lifecycle.update_card(session, ctx, platform, setup["setup_intent_id"])
    start = date.today()
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
        plan = {"code": "starter", "name": "Starter", "currency": "USD"}
        invoice = lifecycle.new_invoice(
            session, row, "renewal", plan, 2, 1900, 30, 3800, start, start + timedelta(30), start
        )
        return invoice.id, row.customer_id


def test_a_renewal_charged_twice_at_once_charges_the_card_once(
    engine, session, platform, proxy, renewal_due, ctx
):
    invoice_id, customer = renewal_due
    charge = (lifecycle.charge_invoice, platform, ctx.agency, invoice_id)
    with proxy.rule(*CHARGE, arrive_after=1.5):
        outcomes = at_once(engine, charge, charge)
    # One charged; the other found its try under way and left it to that call.
    assert sorted(outcome for outcome, _ in outcomes) == [PAID, UNKNOWN]
    payments = client_for(PLATFORM_SECRET, platform).v1.payment_intents.list(params={"limit": 100})
    assert [p.amount for p in payments.auto_paging_iter() if p.customer == customer] == [3800]
    with session.begin():
        assert session.get(PlatformInvoice, invoice_id).status == "paid"
        tries = session.scalars(select(PlatformCharge.status)).all()
    assert tries == ["succeeded"]
