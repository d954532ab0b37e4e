"""Refunds at once on real PostgreSQL and localstripe: two requests for one invoice or one
balance (green threads, as a service's workers are, each on its own connection), and a refund
tried again while an earlier try's request is still on its way to Stripe. Stripe sits behind a
proxy (tests/support/stripe_proxy.py) that makes a refund reach it late; localstripe does not
honour idempotency keys, so a refund asked twice would be made twice. After each: one refund at
Stripe per refund recorded, never more than was paid, and the invoice or balance saying so."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import timedelta

import eventlet
import pytest
import test_card_payments as card_payments
import test_portal_balance_and_refunds as balance_tests
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from stripe_cards import CIPHER, SECRET

from billing.invoicing import invoices
from billing.ledger import balance_refunds
from billing.ledger.tables import BalanceRefund
from billing.models import Refund
from billing.payments import charging, refunds
from billing.payments.stripe_api import IN_FLIGHT_MARGIN_SECONDS, client_for
from kit.errors import Conflict, ServiceUnavailable

TODAY = card_payments.TODAY
REFUND = ("POST", "/v1/refunds")
LATE = 1.5  # seconds a refund takes to reach Stripe: well within the Stripe timeout
# The Stripe fixtures of test_card_payments and test_portal_balance_and_refunds.
stripe_agency, card_client = card_payments.stripe_agency, card_payments.card_client
card_invoice, agency = card_payments.card_invoice, balance_tests.agency


@pytest.fixture
def slow(settings, proxy):
    """Billing's settings with Stripe behind the proxy."""
    return replace(settings, stripe_api_base=proxy.url)


def at_once(engine, *calls):
    """Each call `fn(session, ...)` in its own green thread and session, started together; what
    each returned, or the domain error it raised."""

    def run(call):
        fn, *args = call
        with Session(engine, expire_on_commit=False) as own:
            try:
                return fn(own, *args)
            except (Conflict, ServiceUnavailable) as exc:
                return exc

    pool = eventlet.GreenPool()
    return list(pool.imap(run, calls))


def refunded_at_stripe(settings, payment_intent: str) -> list[int]:
    listed = client_for(SECRET, settings).v1.refunds.list(params={"payment_intent": payment_intent})
    return sorted(r.amount for r in listed.auto_paging_iter())


@pytest.fixture
def paid_invoice(card_client, card_invoice, session, settings, stripe_agency, read):
    """A card invoice of 4500 paid through Stripe: (its id, its PaymentIntent)."""
    client_id, _ = card_client()
    invoice_id = card_invoice(client_id, rate=4500)
    charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY)
    paid = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert paid["status"] == "paid"
    return invoice_id, paid["paid_reference"]


def test_two_refunds_of_an_invoice_at_once_make_one_refund_at_stripe(
    engine, paid_invoice, session, settings, slow, proxy, stripe_agency, read, outbox
):
    invoice_id, intent = paid_invoice
    refund = (refunds.refund_invoice, stripe_agency, CIPHER, slow, invoice_id, 3000, "Twice")
    with proxy.rule(*REFUND, arrive_after=LATE):
        first, second = at_once(engine, refund, refund)
    answers = sorted([first, second], key=lambda a: isinstance(a, Exception))
    assert answers[0]["status"] == "succeeded" and answers[0]["amount"]["amount"] == 3000
    assert isinstance(answers[1], Conflict)  # the first is under way: look, then refund again
    assert refunded_at_stripe(settings, intent) == [3000]
    listed = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert [(r["status"], r["amount"]["amount"]) for r in listed] == [("succeeded", 3000)]
    assert listed[0]["refundable"]["amount"] == 1500
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"
    assert [e["amount"]["amount"] for e in outbox(session, "payment_refunded")] == [3000]


def test_a_refund_tried_again_while_the_first_is_on_its_way_refunds_once(
    paid_invoice, session, settings, slow, proxy, stripe_agency, read, outbox
):
    invoice_id, intent = paid_invoice
    impatient = replace(slow, stripe_timeout=1.0)
    with proxy.rule(*REFUND, arrive_after=3 * impatient.stripe_timeout):
        # The first try gives up waiting; its request is still on its way and will be made.
        with pytest.raises(ServiceUnavailable):
            refunds.refund_invoice(session, stripe_agency, CIPHER, impatient, invoice_id, 4500)
        # Tried again at once: the first may still reach Stripe, so nothing is asked of it.
        with pytest.raises(Conflict) as under_way:
            refunds.refund_invoice(session, stripe_agency, CIPHER, slow, invoice_id, 4500)
        assert "under way" in under_way.value.message
    # The held request reaches Stripe as the rule ends.
    assert eventually_refunded(settings, intent) == [4500]
    with session.begin():  # later: its caller has given up for good
        ago = slow.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS
        session.execute(
            update(Refund).values(claimed_at=Refund.claimed_at - timedelta(seconds=ago))
        )
    # The next try finds the first one's refund at Stripe and records it, making none.
    with pytest.raises(Conflict) as settled:
        refunds.refund_invoice(session, stripe_agency, CIPHER, slow, invoice_id, 4500)
    assert "now recorded" in settled.value.message
    assert refunded_at_stripe(settings, intent) == [4500]
    listed = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert [(r["status"], r["amount"]["amount"]) for r in listed] == [("succeeded", 4500)]
    assert listed[0]["refundable"]["amount"] == 0
    [event] = outbox(session, "payment_refunded")
    assert event["fully_refunded"]


def left_pending_for(session, age) -> None:
    """As if every refund had been recorded (and last taken over) `age` ago."""
    with session.begin():
        session.execute(
            update(Refund).values(
                created_at=Refund.created_at - age, claimed_at=Refund.claimed_at - age
            )
        )


def test_the_timer_settles_an_invoice_refund_whose_answer_was_lost_once(
    paid_invoice, session, settings, slow, proxy, stripe_agency, read, outbox
):
    invoice_id, intent = paid_invoice
    # Stripe makes the refund; its answer never comes back, and nobody refunds again.
    with proxy.rule(*REFUND, drop=True), pytest.raises(ServiceUnavailable):
        refunds.refund_invoice(session, stripe_agency, CIPHER, slow, invoice_id, 3000, "Lost")
    assert refunds.settle_pending_refunds(session, CIPHER, slow) == 0  # its caller's for now
    left_pending_for(session, refunds.SETTLE_AFTER)
    assert refunds.settle_pending_refunds(session, CIPHER, slow) == 1
    assert refunded_at_stripe(settings, intent) == [3000]
    listed = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert [(r["status"], r["amount"]["amount"]) for r in listed] == [("succeeded", 3000)]
    assert listed[0]["stripe_refund_id"] and listed[0]["refundable"]["amount"] == 1500
    [event] = outbox(session, "payment_refunded")
    assert event["amount"]["amount"] == 3000
    assert refunds.settle_pending_refunds(session, CIPHER, slow) == 0  # settled once


def test_the_timer_makes_an_invoice_refund_that_never_reached_stripe_or_records_its_refusal(
    paid_invoice, card_client, card_invoice, session, settings, stripe_agency, read
):
    invoice_id, intent = paid_invoice
    unreachable = replace(settings, stripe_api_base="http://127.0.0.1:9", stripe_timeout=1.0)
    with pytest.raises(ServiceUnavailable):
        refunds.refund_invoice(session, stripe_agency, CIPHER, unreachable, invoice_id, 4500)
    left_pending_for(session, refunds.SETTLE_AFTER)
    assert refunds.settle_pending_refunds(session, CIPHER, settings) == 1
    assert refunded_at_stripe(settings, intent) == [4500]
    [made] = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert (made["status"], made["refundable"]["amount"]) == ("succeeded", 0)


def eventually_refunded(settings, intent: str, timeout: float = 10.0) -> list[int]:
    """Stripe's refunds of the payment once it has any (a held request lands a moment late)."""
    deadline = time.monotonic() + timeout
    while not (made := refunded_at_stripe(settings, intent)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return made


# Balance refunds --------------------------------------------------------------------------------


def test_two_balance_refunds_at_once_refund_each_once(
    engine, session, write, outbox, agency, known_client, settings, slow, proxy
):
    client = known_client(agency, "Globex")
    intent = balance_tests.customer_funded(session, write, outbox, agency, settings, client)
    assert balance_tests.balance_of(session, agency, client) == 5000

    def refund(key):
        return (
            balance_refunds.refund_customer_balance,
            agency,
            CIPHER,
            slow,
            client,
            key,
            2000,
        )

    with proxy.rule(*REFUND, arrive_after=LATE):
        first, other, again = at_once(engine, refund("r-a"), refund("r-b"), refund("r-a"))
    # The key "r-a" twice: whichever came second found the first's refund on its way (still
    # pending, to be asked again).
    first, again = sorted([first, again], key=lambda answer: isinstance(answer, Exception))
    assert first["status"] == other["status"] == "succeeded"
    assert first["refund_id"] != other["refund_id"]
    assert isinstance(again, ServiceUnavailable) and "pending" in again.message
    assert refunded_at_stripe(settings, intent) == [2000, 2000]
    assert balance_tests.balance_of(session, agency, client) == 1000
    with session.begin():
        statuses = session.scalars(select(BalanceRefund.status)).all()
    assert sorted(statuses) == ["succeeded", "succeeded"]
    assert len(outbox(session, "balance_refunded")) == 2
