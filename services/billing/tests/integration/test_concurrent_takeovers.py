"""A try at Stripe left pending by a crash (its caller gone before Stripe answered), taken over
by two callers at once: two retries, or a retry and billing's timer, on real PostgreSQL and
localstripe behind a proxy (tests/support/stripe_proxy.py) that makes the settling call reach
Stripe late, so neither caller finds the other's payment or refund there. localstripe does not
honour idempotency keys: made twice, it would pay or refund twice. After each: one payment or
refund at Stripe, recorded once."""

from __future__ import annotations

from dataclasses import replace

import pytest
import test_card_payments as card_payments
import test_concurrent_refunds as concurrent_refunds
import test_concurrent_subscription_charges as subscription_charges
import test_portal_balance_and_refunds as balance_tests
from sqlalchemy import select, update
from stripe_cards import CIPHER, SECRET, confirm_card

from billing.invoicing import invoices
from billing.ledger import balance_refunds, topups
from billing.ledger.tables import BalanceRefund, BalanceRefundPart, TopupAttempt
from billing.models import PaymentAttempt, Refund
from billing.payments import charging, refunds
from billing.payments.stripe_api import PAID, SETTLE_AFTER, UNKNOWN, client_for
from billing.subscription import lifecycle
from billing.subscription.models import PlatformCharge, PlatformInvoice
from kit.errors import ServiceUnavailable

TODAY = card_payments.TODAY
LATE = concurrent_refunds.LATE
REFUND, CHARGE = concurrent_refunds.REFUND, subscription_charges.CHARGE
# The fixtures this borrows: Stripe behind the proxy (slow), the agency's card payments, a paid
# invoice, a customer-funded balance, the platform's renewal.
slow, paid_invoice = concurrent_refunds.slow, concurrent_refunds.paid_invoice
stripe_agency, card_client = card_payments.stripe_agency, card_payments.card_client
card_invoice, agency = card_payments.card_invoice, balance_tests.agency
platform, renewal_due = subscription_charges.platform, subscription_charges.renewal_due
at_once, refunded_at_stripe = concurrent_refunds.at_once, concurrent_refunds.refunded_at_stripe


def unreachable(settings):
    """Stripe away: a try is recorded pending and its call never answered."""
    return replace(settings, stripe_api_base="http://127.0.0.1:9", stripe_timeout=1.0)


def abandoned(session, *columns) -> None:
    """As if the tries so far had been made (and last taken over) SETTLE_AFTER ago: their
    callers died, and billing's timer may settle them."""
    with session.begin():
        for column in columns:
            session.execute(update(column.class_).values({column.key: column - SETTLE_AFTER}))


def test_an_invoice_refund_taken_over_by_a_retry_and_the_timer_at_once_refunds_once(
    engine, paid_invoice, session, settings, slow, proxy, stripe_agency, read, outbox
):
    invoice_id, intent = paid_invoice
    with pytest.raises(ServiceUnavailable):
        refunds.refund_invoice(
            session, stripe_agency, CIPHER, unreachable(settings), invoice_id, 2000
        )
    abandoned(session, Refund.created_at, Refund.claimed_at)
    retry = (refunds.refund_invoice, stripe_agency, CIPHER, slow, invoice_id, 2000)
    timer = (refunds.settle_pending_refunds, CIPHER, slow)
    with proxy.rule(*REFUND, arrive_after=LATE):
        at_once(engine, retry, timer)
    assert refunded_at_stripe(settings, intent) == [2000]
    listed = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert [(r["status"], r["amount"]["amount"]) for r in listed] == [("succeeded", 2000)]
    assert len(outbox(session, "payment_refunded")) == 1


def test_a_card_charge_taken_over_by_two_runs_at_once_charges_once(
    engine, card_client, card_invoice, session, settings, slow, proxy, stripe_agency, read
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    first = charging.charge_invoice(
        session, CIPHER, unreachable(settings), stripe_agency.agency, invoice_id
    )
    assert first == UNKNOWN
    abandoned(session, PaymentAttempt.claimed_at)
    charge = (charging.charge_invoice, CIPHER, slow, stripe_agency.agency, invoice_id)
    with proxy.rule(*CHARGE, arrive_after=LATE):
        outcomes = at_once(engine, charge, charge)
    assert sorted(outcomes) == [PAID, charging.SKIPPED]
    assert len(card_payments.charges_for(settings, customer, invoice_id)) == 1
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"


def test_a_renewal_charge_taken_over_twice_at_once_charges_once(
    engine, session, platform, proxy, renewal_due, ctx
):
    invoice_id, customer = renewal_due
    first = lifecycle.charge_invoice(session, unreachable(platform), ctx.agency, invoice_id)
    assert first == (UNKNOWN, None)
    abandoned(session, PlatformCharge.claimed_at)
    charge = (lifecycle.charge_invoice, platform, ctx.agency, invoice_id)
    with proxy.rule(*CHARGE, arrive_after=LATE):
        outcomes = at_once(engine, charge, charge)
    assert sorted(outcome for outcome, _ in outcomes) == [PAID, UNKNOWN]
    stripe = client_for(subscription_charges.PLATFORM_SECRET, platform)
    payments = stripe.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
    assert [p.amount for p in payments if p.customer == customer] == [3800]
    with session.begin():
        assert session.get(PlatformInvoice, invoice_id, populate_existing=True).status == "paid"


def test_a_balance_refund_taken_over_by_a_retry_and_the_timer_at_once_refunds_once(
    engine, session, write, outbox, agency, known_client, settings, slow, proxy
):
    client = known_client(agency, "Globex")
    intent = balance_tests.customer_funded(session, write, outbox, agency, settings, client)
    with pytest.raises(ServiceUnavailable):
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, unreachable(settings), client, "r-1", 2000
        )
    abandoned(session, BalanceRefund.created_at, BalanceRefundPart.claimed_at)
    retry = (balance_refunds.refund_customer_balance, agency, CIPHER, slow, client, "r-1", 2000)
    timer = (balance_refunds.settle_pending_refunds, CIPHER, slow)
    with proxy.rule(*REFUND, arrive_after=LATE):
        at_once(engine, retry, timer)
    assert refunded_at_stripe(settings, intent) == [2000]
    with session.begin():
        assert session.scalars(select(BalanceRefund.status)).all() == ["succeeded"]
    assert balance_tests.balance_of(session, agency, client) == 3000
    assert len(outbox(session, "balance_refunded")) == 1


def test_a_top_up_tried_again_after_a_lost_answer_charges_the_card_once(
    session, agency, settings, slow, proxy, outbox
):
    setup = topups.start_agency_card_setup(session, agency, CIPHER, settings)
    confirm_card(settings, setup["setup_intent_id"])
    topups.save_agency_card(session, agency, CIPHER, settings, setup["setup_intent_id"])
    top_up = (session, agency, CIPHER, slow, 3000, "t-1")
    # Stripe charges the card; its answer never comes back.
    with proxy.rule(*CHARGE, drop=True, times=1), pytest.raises(ServiceUnavailable):
        topups.top_up_by_card(*top_up)
    # The same key again at once: the first try may still be under way, nothing is charged.
    with pytest.raises(ServiceUnavailable) as under_way:
        topups.top_up_by_card(*top_up)
    assert "under way" in under_way.value.message
    abandoned(session, TopupAttempt.claimed_at)
    # Later: the first try's payment is found at Stripe and credited, none made again.
    topped = topups.top_up_by_card(*top_up)
    assert topped["balance_after"]["amount"] == 3000
    listed = client_for(SECRET, settings).v1.payment_intents.list(params={"limit": 100})
    made = [p.amount for p in listed.auto_paging_iter() if p.customer == setup["customer_id"]]
    assert made == [3000]
    assert len(outbox(session, "balance_topped_up")) == 1
