"""The platform subscription's charge twice at once (two renewal timers, two service processes),
or tried again after Stripe's answer was lost (a subscribe, an upgrade), on real PostgreSQL and
localstripe behind a proxy (tests/support/stripe_proxy.py) that makes a charge reach Stripe late
or loses its answer: the agency's card is charged once."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
import test_concurrent_refunds as concurrent_refunds
from sqlalchemy import select, update
from stripe_cards import DECLINING_CARD, confirm_card

from billing.payments.stripe_api import PAID, UNKNOWN, client_for
from billing.subscription import lifecycle
from billing.subscription.models import PlatformCharge, PlatformInvoice, PlatformSubscription
from kit.errors import Conflict, ServiceUnavailable
from kit.testing import signed_up_owner as sign_up

PLATFORM_SECRET = "sk_test_platform_local"
CHARGE = ("POST", "/v1/payment_intents")
# Calls at once, as in test_concurrent_refunds (the proxy in front of localstripe: conftest).
at_once = concurrent_refunds.at_once


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


# A subscribe or an upgrade tried again after Stripe's answer was lost --------------------------


@pytest.fixture
def subscriber(neighbours, session, platform, make_ctx):
    """A signed-up agency (identity running beside billing: its plans, its one active user) with
    a card confirmed on the platform's account: (its owner's context, identity, setup id)."""
    identity, _ = neighbours
    ctx = make_ctx(sign_up(identity, "Lost Answers")["agency_id"])
    setup = lifecycle.start_card_setup(session, ctx, platform)["setup_intent_id"]
    confirm_card(platform, setup)
    return ctx, identity, setup


def payments_of(settings, ctx, session) -> list[tuple[int, str]]:
    with session.begin():
        customer = session.get(PlatformSubscription, ctx.agency).customer_id
    listed = client_for(PLATFORM_SECRET, settings).v1.payment_intents.list(params={"limit": 100})
    return sorted((p.amount, p.status) for p in listed.auto_paging_iter() if p.customer == customer)


def invoices_of(session, ctx) -> list[tuple[str, int, str]]:
    with session.begin():
        rows = session.scalars(
            select(PlatformInvoice)
            .where(PlatformInvoice.agency_id == ctx.agency)
            .order_by(PlatformInvoice.number)
        ).all()
        return [(i.kind, i.amount, i.status) for i in rows]


def later(session) -> None:
    """As if the tries so far were older than the Stripe timeout and its margin: their callers
    gave up or died."""
    ago = timedelta(seconds=60)
    with session.begin():
        session.execute(update(PlatformCharge).values(claimed_at=PlatformCharge.claimed_at - ago))
        session.execute(update(PlatformInvoice).values(created_at=PlatformInvoice.created_at - ago))


def test_a_subscribe_tried_again_after_a_lost_answer_charges_the_card_once(
    session, platform, proxy, subscriber, outbox
):
    ctx, identity, setup = subscriber
    subscribe = (session, ctx, identity, platform, "starter", setup)
    # Stripe charges the card; its answer never comes back.
    with proxy.rule(*CHARGE, drop=True, times=1), pytest.raises(ServiceUnavailable) as lost:
        lifecycle.subscribe(*subscribe)
    assert "not be charged twice" in lost.value.message
    assert payments_of(platform, ctx, session) == [(1900, "succeeded")]
    # Tried again at once: the first try may still be under way, so nothing is charged.
    with pytest.raises(ServiceUnavailable):
        lifecycle.subscribe(*subscribe)
    later(session)
    # Tried again later: the first try's payment is found at Stripe, and it is the subscription.
    subscribed = lifecycle.subscribe(*subscribe)
    assert subscribed["status"] == "active" and subscribed["plan"]["code"] == "starter"
    assert payments_of(platform, ctx, session) == [(1900, "succeeded")]
    assert invoices_of(session, ctx) == [("subscription", 1900, "paid")]
    [started] = outbox(session, "subscription_started")
    assert started["amount"]["amount"] == 1900
    with pytest.raises(Conflict):  # subscribed: a further retry changes nothing
        lifecycle.subscribe(*subscribe)


def test_a_subscribe_whose_lost_try_was_declined_is_charged_anew_on_the_new_card(
    session, platform, proxy, subscriber
):
    ctx, identity, _ = subscriber
    declining = lifecycle.start_card_setup(session, ctx, platform)["setup_intent_id"]
    confirm_card(platform, declining, DECLINING_CARD)
    with proxy.rule(*CHARGE, drop=True, times=1), pytest.raises(ServiceUnavailable):
        lifecycle.subscribe(session, ctx, identity, platform, "starter", declining)
    later(session)
    good = lifecycle.start_card_setup(session, ctx, platform)["setup_intent_id"]
    confirm_card(platform, good)
    subscribed = lifecycle.subscribe(session, ctx, identity, platform, "starter", good)
    assert subscribed["status"] == "active"
    paid = [
        amount for amount, status in payments_of(platform, ctx, session) if status == "succeeded"
    ]
    assert paid == [1900]
    assert invoices_of(session, ctx) == [
        ("subscription", 1900, "void"),
        ("subscription", 1900, "paid"),
    ]


def test_an_upgrade_tried_again_after_a_lost_answer_charges_the_card_once(
    session, platform, proxy, subscriber, outbox
):
    ctx, identity, setup = subscriber
    lifecycle.subscribe(session, ctx, identity, platform, "starter", setup)
    with proxy.rule(*CHARGE, drop=True, times=1), pytest.raises(ServiceUnavailable):
        lifecycle.upgrade(session, ctx, identity, platform, "growth")
    later(session)
    upgraded = lifecycle.upgrade(session, ctx, identity, platform, "growth")
    assert upgraded["plan"]["code"] == "growth" and upgraded["price_per_user"]["amount"] == 2900
    assert payments_of(platform, ctx, session) == [(1000, "succeeded"), (1900, "succeeded")]
    assert invoices_of(session, ctx) == [("subscription", 1900, "paid"), ("upgrade", 1000, "paid")]
    [event] = outbox(session, "subscription_upgraded")
    assert event["amount"]["amount"] == 1000
