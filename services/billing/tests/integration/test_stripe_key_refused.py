"""The agency's Stripe key refused by Stripe (revoked, rolled, wrong), on real PostgreSQL and
localstripe. localstripe takes any `sk_` key, so Stripe sits behind the proxy of
tests/support/stripe_proxy.py, which answers 401 (the SDK's AuthenticationError) or 403 (its
PermissionError) for the key the test revokes. Nothing is charged or refunded, the invoice stays
open (the client is not asked for a card), the agency is told once, nothing more is asked of
Stripe until a new key is entered, and the next charge then pays the invoice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import test_card_payments as card_payments
import test_portal_balance_and_refunds as balance_tests
from sqlalchemy import select, update
from stripe_cards import CIPHER, SECRET

from billing.invoicing import invoices
from billing.ledger import balance_refunds, topups
from billing.models import PaymentAttempt, Refund
from billing.payments import accounts, cards, charging, refunds
from billing.payments.stripe_api import IN_FLIGHT_MARGIN_SECONDS
from kit.errors import StripeKeyRefused

TODAY = card_payments.TODAY
NEW_SECRET = "sk_test_agency_rolled_5678"
# The Stripe fixtures of test_card_payments, here with Stripe behind the proxy.
stripe_agency, card_client = card_payments.stripe_agency, card_payments.card_client
card_invoice, agency = card_payments.card_invoice, balance_tests.agency


@pytest.fixture
def settings(settings, proxy):
    """Billing's settings with Stripe behind the proxy (every fixture above uses these)."""
    return replace(settings, stripe_api_base=proxy.url)


@pytest.fixture
def direct(settings, localstripe):
    """The settings to look at Stripe's own store, past the proxy."""
    return replace(settings, stripe_api_base=localstripe)


def attempts(session, invoice_id) -> list[tuple[str, str | None]]:
    with session.begin():
        rows = session.scalars(
            select(PaymentAttempt)
            .where(PaymentAttempt.invoice_id == invoice_id)
            .order_by(PaymentAttempt.attempt)
        ).all()
        return [(row.status, row.failure_reason) for row in rows]


def run_charges(session, settings, ctx) -> dict:
    return charging.charge_due_cards(session, CIPHER, settings, ctx.agency, TODAY)


def test_a_refused_key_leaves_the_invoice_open_tells_the_agency_once_and_a_new_key_charges_it(
    card_client, card_invoice, session, settings, direct, stripe_agency, read, write, outbox, proxy
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    proxy.refuse_key(SECRET)

    assert run_charges(session, settings, stripe_agency) == {"key_refused": 1}
    invoice = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert invoice["status"] == "open"
    assert (
        invoice["failure_reason"] == "Stripe refused the agency's secret key: nothing was charged."
    )
    assert attempts(session, invoice_id) == [("not_made", invoice["failure_reason"])]
    assert card_payments.charges_for(direct, customer, invoice_id) == []
    assert outbox(session, "invoice_failed") == []  # the client is not asked for a new card
    (told,) = outbox(session, "stripe_key_refused")
    assert told["secret_key_last4"] == SECRET[-4:] and told["agency_id"] == str(
        stripe_agency.agency
    )
    shown = read(accounts.get_stripe_account, stripe_agency)
    assert shown["connected"] and shown["key_refused_at"] == told["refused_at"]

    # The next runs ask Stripe nothing and tell nobody again; the invoice waits.
    asked = len(proxy.served)
    assert run_charges(session, settings, stripe_agency) == {"key_refused": 1}
    assert len(proxy.served) == asked
    assert len(attempts(session, invoice_id)) == 1
    assert len(outbox(session, "stripe_key_refused")) == 1
    # Whatever else needs the agency's Stripe account says why, without asking Stripe.
    with pytest.raises(StripeKeyRefused) as refused:
        cards.start_card_setup(session, stripe_agency, CIPHER, settings, client_id)
    assert refused.value.code == "stripe_key_refused" and refused.value.http_status == 409
    assert "Settings > Payments" in refused.value.message
    with pytest.raises(StripeKeyRefused):
        topups.top_up_by_card(session, stripe_agency, CIPHER, settings, 2500, "t-1", client_id)
    assert len(proxy.served) == asked

    # A key Stripe accepts clears the mark; the next run charges the open invoice.
    accounts.check_keys(NEW_SECRET, settings)
    write(accounts.save_keys, stripe_agency, CIPHER, "pk_test_agency", NEW_SECRET)
    assert read(accounts.get_stripe_account, stripe_agency)["key_refused_at"] is None
    assert run_charges(session, settings, stripe_agency) == {"paid": 1}
    paid = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert (paid["status"], paid["failure_reason"]) == ("paid", None)
    assert [a[0] for a in attempts(session, invoice_id)] == ["not_made", "succeeded"]
    (payment,) = card_payments.charges_for(direct, customer, invoice_id)
    assert payment.status == "succeeded" and payment.amount == 4500
    assert len(outbox(session, "stripe_key_refused")) == 1


def test_a_try_whose_answer_was_lost_stays_pending_when_the_key_is_refused_while_looking_it_up(
    card_client, card_invoice, session, settings, direct, stripe_agency, read, write, proxy
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    with session.begin():  # a try recorded, its call never answered (the process died)
        charging._prepare(session, stripe_agency, CIPHER, settings, invoice_id)
    ago = timedelta(seconds=settings.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS)
    with session.begin():
        session.execute(update(PaymentAttempt).values(claimed_at=PaymentAttempt.claimed_at - ago))
    proxy.refuse_key(SECRET)
    assert run_charges(session, settings, stripe_agency) == {"key_refused": 1}
    assert [a[0] for a in attempts(session, invoice_id)] == ["pending"]  # still to be found
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "open"

    accounts.check_keys(NEW_SECRET, settings)
    write(accounts.save_keys, stripe_agency, CIPHER, "pk_test_agency", NEW_SECRET)
    with session.begin():
        session.execute(update(PaymentAttempt).values(claimed_at=PaymentAttempt.claimed_at - ago))
    assert run_charges(session, settings, stripe_agency) == {"paid": 1}
    assert [a[0] for a in attempts(session, invoice_id)] == ["succeeded"]
    assert len(card_payments.charges_for(direct, customer, invoice_id)) == 1


def test_a_refund_refused_for_want_of_permission_refunds_nothing_and_marks_the_key_once(
    card_client, card_invoice, session, settings, stripe_agency, read, outbox, proxy
):
    client_id, _customer = card_client()
    invoice_id = card_invoice(client_id)
    assert run_charges(session, settings, stripe_agency) == {"paid": 1}
    proxy.refuse_key(SECRET, status=403)  # a restricted key without refunds: PermissionError

    with pytest.raises(StripeKeyRefused):
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 1000)
    (refund,) = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert refund["status"] == "failed" and "nothing was refunded" in refund["failure_reason"]
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"
    assert outbox(session, "payment_refunded") == []
    assert len(outbox(session, "stripe_key_refused")) == 1

    asked = len(proxy.served)
    with pytest.raises(StripeKeyRefused):
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 1000)
    assert len(proxy.served) == asked
    with session.begin():
        assert session.scalar(select(Refund.status).where(Refund.number == 2)) is None
    assert len(outbox(session, "stripe_key_refused")) == 1


def test_a_card_setup_meeting_a_revoked_key_says_so_and_marks_the_account(
    session, settings, stripe_agency, known_client, read, outbox, proxy
):
    client_id = known_client(stripe_agency, "New card client")
    proxy.refuse_key(SECRET)
    with pytest.raises(StripeKeyRefused):
        cards.start_card_setup(session, stripe_agency, CIPHER, settings, client_id)
    assert read(accounts.get_stripe_account, stripe_agency)["key_refused_at"] is not None
    assert len(outbox(session, "stripe_key_refused")) == 1


def test_a_refusal_of_a_key_replaced_meanwhile_marks_nothing(
    session, settings, stripe_agency, write, read, outbox
):
    accounts.check_keys(NEW_SECRET, settings)
    write(accounts.save_keys, stripe_agency, CIPHER, "pk_test_agency", NEW_SECRET)
    with session.begin():  # a call made with the old key comes back refused after the change
        accounts.mark_key_refused(session, CIPHER, stripe_agency.agency, SECRET)
    assert read(accounts.get_stripe_account, stripe_agency)["key_refused_at"] is None
    assert outbox(session, "stripe_key_refused") == []


def test_a_balance_refund_met_by_a_refused_key_gives_the_amount_back_and_says_why(
    session, write, outbox, agency, known_client, settings, proxy
):
    client = known_client(agency, "Globex")
    balance_tests.customer_funded(session, write, outbox, agency, settings, client, paid=5000)
    proxy.refuse_key(SECRET)
    with pytest.raises(StripeKeyRefused):
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, settings, client, "r-1", 2000
        )
    assert balance_tests.balance_of(session, agency, client) == 5000  # nothing left the balance
    assert outbox(session, "balance_refunded") == []
    assert len(outbox(session, "stripe_key_refused")) == 1
    asked = len(proxy.served)
    with pytest.raises(StripeKeyRefused):  # asked of nobody now, nothing written
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, settings, client, "r-2", 2000
        )
    assert len(proxy.served) == asked
    assert balance_tests.balance_of(session, agency, client) == 5000
