"""The portal's prepaid balance (a customer-funded client's contact tops it up by card), refunds
of an unused customer balance through Stripe (split over the card payments that funded it,
settled after a lost answer), against the real database and localstripe."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import timedelta

import eventlet
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from stripe_cards import CIPHER, GOOD_CARD, SECRET, confirm_card

from billing.ledger import accounts, balance_refunds, funding, portal_balance, topups, usage
from billing.ledger.tables import BalanceRefund, BalanceRefundPart, ClientFunding, TopupAttempt
from billing.payments import accounts as stripe_accounts
from billing.payments import cards
from billing.payments.stripe_api import IN_FLIGHT_MARGIN_SECONDS, client_for, plain
from kit.context import PORTAL, Context
from kit.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PaymentFailed,
    PermissionDenied,
    ValidationError,
)


@pytest.fixture
def agency(write, ctx, settings):
    write(stripe_accounts.save_keys, ctx, CIPHER, "pk_test_agency", SECRET, "whsec_x")
    return ctx


def customer_funded(session, write, outbox, ctx, settings, client, paid=5000) -> str:
    """The client switched to customer funding by the link's payment; the payment's intent."""
    write(funding.request_customer_funding, ctx, settings, client, "pay@globex.test", 2500)
    token = outbox(session, "funding_request_sent")[-1]["token"]
    setup = funding.start_customer_card(session, CIPHER, settings, token)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    funding.pay_customer_funding(session, CIPHER, settings, token, setup["setup_intent_id"], paid)
    return payment_intents(session, ctx, client)[-1]


def payment_intents(session, ctx, client) -> list[str]:
    with session.begin():
        account = accounts.client_account(session, ctx.agency, uuid.UUID(client))
        return session.scalars(
            select(TopupAttempt.payment_intent_id)
            .where(TopupAttempt.account_id == account.id, TopupAttempt.status == "succeeded")
            .order_by(TopupAttempt.created_at)
        ).all()


def contact(ctx: Context, client: str) -> Context:
    return replace(
        ctx, kind=PORTAL, permissions=frozenset(), client_id=client, principal_id="contact-1"
    )


def given_up(session, settings) -> None:
    """Every refund recorded so far is past the time its own call could still be under way."""
    ago = timedelta(seconds=settings.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS)
    with session.begin():
        session.execute(
            update(BalanceRefundPart).values(claimed_at=BalanceRefundPart.claimed_at - ago)
        )


def balance_of(session, ctx, client) -> int:
    with session.begin():
        return accounts.client_account(session, ctx.agency, uuid.UUID(client)).balance


def stripe_refunds(settings, payment_intent) -> list[tuple[int, str]]:
    listed = client_for(SECRET, settings).v1.refunds.list(params={"payment_intent": payment_intent})
    return sorted((r.amount, plain(r.metadata).get("balance_refund_key")) for r in listed.data)


# The portal's balance -------------------------------------------------------------------------


def test_a_portal_contact_sees_the_balance_and_tops_it_up_by_card(
    session, write, read, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    customer_funded(session, write, outbox, agency, settings, client)
    portal = contact(agency, client)
    seen = read(portal_balance.portal_balance, portal)
    assert seen["balance"] == {"amount": 5000, "currency": "USD"}
    assert seen["card"] == "visa ending 4242" and seen["card_payments"] is True
    assert seen["minimum_topup"]["amount"] == 2500 and seen["usage_paused"] is False
    [paid_in] = seen["transfers"]
    assert (paid_in["kind"], paid_in["direction"], paid_in["amount"]["amount"]) == (
        "topup",
        "in",
        5000,
    )
    assert "idempotency_key" not in paid_in

    # Usage the balance cannot cover pauses the client's usage.
    with pytest.raises(LimitExceeded):
        usage.record_usage(session, agency, client, 6000, "calls", "u-big")
    assert read(portal_balance.portal_balance, portal)["usage_paused"] is True

    # Under $25: refused before any card is touched; nothing changes.
    with pytest.raises(ValidationError) as small:
        portal_balance.portal_top_up(session, portal, CIPHER, settings, 2499, "k-small")
    assert "amount" in small.value.fields
    assert balance_of(session, agency, client) == 5000

    # The saved card, once per key; paused usage resumes.
    topped = portal_balance.portal_top_up(session, portal, CIPHER, settings, 3000, "k-1")
    assert (topped["method"], topped["balance_after"]["amount"]) == ("card", 8000)
    again = portal_balance.portal_top_up(session, portal, CIPHER, settings, 3000, "k-1")
    assert again["transfer_id"] == topped["transfer_id"]
    assert balance_of(session, agency, client) == 8000
    after = read(portal_balance.portal_balance, portal)
    assert after["usage_paused"] is False and len(after["transfers"]) == 2
    assert outbox(session, "balance_topped_up")[-1]["transfer_id"] == topped["transfer_id"]
    assert usage.record_usage(session, agency, client, 6000, "calls", "u-big-2")["funded_by"] == (
        "customer"
    )

    # A new card entered with Stripe.js in the portal: saved, then charged.
    setup = cards.start_card_setup(session, portal, CIPHER, settings, client)
    confirm_card(settings, setup["setup_intent_id"], "5555555555554444")
    newer = portal_balance.portal_top_up(
        session, portal, CIPHER, settings, 2500, "k-2", setup["setup_intent_id"]
    )
    assert newer["balance_after"]["amount"] == 4500
    assert read(portal_balance.portal_balance, portal)["card"].endswith("ending 4444")
    assert len(payment_intents(session, agency, client)) == 3


def test_only_a_customer_funded_clients_own_contacts_see_a_balance(
    session, write, read, outbox, agency, known_client, settings, make_ctx
):
    client = known_client(agency, "Globex")
    customer_funded(session, write, outbox, agency, settings, client)
    agency_funded = known_client(agency, "Initech")
    other_agency = make_ctx()
    for stranger in (
        contact(agency, agency_funded),  # its client's usage is the agency's: no balance page
        contact(other_agency, client),  # the same client id, another agency's contact
    ):
        with pytest.raises(NotFound):
            read(portal_balance.portal_balance, stranger)
        with pytest.raises(NotFound):
            portal_balance.portal_top_up(session, stranger, CIPHER, settings, 3000, "k-x")
    with pytest.raises(PermissionDenied):  # the team uses its own pages
        read(portal_balance.portal_balance, agency)
    assert balance_of(session, agency, client) == 5000
    # A contact's calls name no client: another client's balance is out of reach.
    own = read(portal_balance.portal_balance, contact(agency, client))
    assert own["client_id"] == client


# Refunds of an unused customer balance --------------------------------------------------------


def test_a_refund_goes_back_to_the_card_payments_newest_first_split_over_them(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    customer_funded(session, write, outbox, agency, settings, client, paid=5000)
    topups.top_up_by_card(session, agency, CIPHER, settings, 3000, "t-1", client)
    write(topups.record_manual_credit, agency, 1000, "bank transfer 42", "m-1", client)
    usage.record_usage(session, agency, client, 500, "calls", "u-1")
    first, second = payment_intents(session, agency, client)
    assert balance_of(session, agency, client) == 8500

    # More than the balance: a clear field error, and nothing changes anywhere.
    with pytest.raises(ValidationError) as too_much:
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, settings, client, "r-0", 8501
        )
    assert too_much.value.fields == {"amount": "at most 8500"}
    assert balance_of(session, agency, client) == 8500
    with session.begin():
        assert session.scalar(select(func.count()).select_from(BalanceRefund)) == 0
    assert stripe_refunds(settings, first) == stripe_refunds(settings, second) == []

    refund = balance_refunds.refund_customer_balance(
        session, agency, CIPHER, settings, client, "r-1", 4000, "customer left"
    )
    assert refund["status"] == "succeeded" and refund["balance_after"]["amount"] == 4500
    assert [
        (p["payment_intent_id"], p["amount"]["amount"], p["status"]) for p in refund["parts"]
    ] == [
        (second, 3000, "succeeded"),
        (first, 1000, "succeeded"),
    ]
    assert [amount for amount, _ in stripe_refunds(settings, second)] == [3000]
    assert [amount for amount, _ in stripe_refunds(settings, first)] == [1000]
    [event] = outbox(session, "balance_refunded")
    assert event["refunded"]["amount"] == 4000 and event["client_id"] == client

    # The same key again: the same refund, nothing more at Stripe.
    again = balance_refunds.refund_customer_balance(
        session, agency, CIPHER, settings, client, "r-1", 4000
    )
    assert again["refund_id"] == refund["refund_id"]
    assert len(stripe_refunds(settings, first)) == 1
    with pytest.raises(Conflict):
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, settings, client, "r-1", 100
        )

    # The rest (4500): the cards first (4000 left of the first payment), the remainder (funded by
    # the manual credit) paid back by hand.
    rest = balance_refunds.refund_customer_balance(session, agency, CIPHER, settings, client, "r-2")
    assert [(p["method"], p["amount"]["amount"]) for p in rest["parts"]] == [
        ("stripe", 4000),
        ("manual", 500),
    ]
    assert rest["balance_after"]["amount"] == 0
    assert [amount for amount, _ in stripe_refunds(settings, first)] == [1000, 4000]
    with pytest.raises(Conflict):  # nothing left
        balance_refunds.refund_customer_balance(session, agency, CIPHER, settings, client, "r-3")


def test_a_refund_whose_answer_was_lost_is_settled_once_on_the_next_try(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    intent = customer_funded(session, write, outbox, agency, settings, client, paid=5000)
    # The first transaction committed and Stripe refunded, then the process died.
    with session.begin():
        call = balance_refunds._prepare(
            session, agency, CIPHER, settings, client, "r-lost", 2000, ""
        )
    [part] = call.parts
    assert balance_refunds.call_stripe(part, call.secret, settings)[0] == "succeeded"
    assert balance_of(session, agency, client) == 3000  # taken while on its way back
    with session.begin():
        assert session.get(BalanceRefundPart, part.part_id).status == "pending"

    # Another refund of the client settles the pending one first, from what Stripe has (once
    # its own call is surely over: test_concurrent_refunds has the refunds at once).
    given_up(session, settings)
    other = balance_refunds.refund_customer_balance(
        session, agency, CIPHER, settings, client, "r-next", 1000
    )
    assert other["status"] == "succeeded"
    with session.begin():
        assert session.get(BalanceRefundPart, part.part_id).status == "succeeded"
    same = balance_refunds.refund_customer_balance(
        session, agency, CIPHER, settings, client, "r-lost"
    )
    assert same["status"] == "succeeded" and same["refunded"]["amount"] == 2000
    assert [amount for amount, _ in stripe_refunds(settings, intent)] == [1000, 2000]
    assert balance_of(session, agency, client) == 2000

    # Crashed before Stripe was called at all: the retry makes the refund, once.
    with session.begin():
        balance_refunds._prepare(session, agency, CIPHER, settings, client, "r-unsent", 500, "")
    given_up(session, settings)
    balance_refunds.refund_customer_balance(
        session, agency, CIPHER, settings, client, "r-unsent", 500
    )
    assert [amount for amount, _ in stripe_refunds(settings, intent)] == [500, 1000, 2000]
    assert balance_of(session, agency, client) == 1500


def test_a_refund_stripe_refuses_gives_the_amount_back_to_the_balance(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    customer_funded(session, write, outbox, agency, settings, client, paid=5000)
    with session.begin():
        call = balance_refunds._prepare(
            session, agency, CIPHER, settings, client, "r-bad", 2000, ""
        )
        session.execute(  # a payment Stripe does not know
            update(BalanceRefundPart).values(payment_intent_id="pi_unknown_to_stripe")
        )
    given_up(session, settings)
    with pytest.raises(PaymentFailed):
        balance_refunds.refund_customer_balance(
            session, agency, CIPHER, settings, client, "r-bad", 2000
        )
    assert balance_of(session, agency, client) == 5000
    with session.begin():
        part = session.get(BalanceRefundPart, call.parts[0].part_id)
        assert part.status == "failed" and part.return_transfer_id is not None
        assert session.get(BalanceRefund, call.refund_id).status == "failed"
    assert outbox(session, "balance_refunded") == []


def test_a_refund_needs_manage_billing(session, agency, known_client, settings, make_ctx):
    client = known_client(agency)
    viewer = make_ctx(agency.agency_id, permissions=frozenset())
    with pytest.raises(PermissionDenied):
        balance_refunds.refund_customer_balance(session, viewer, CIPHER, settings, client, "r")
    with session.begin():
        assert session.scalar(select(func.count()).select_from(ClientFunding)) == 0


def test_refunds_at_once_never_take_more_than_the_balance(
    engine, session, write, ctx, known_client, settings
):
    client = known_client(ctx)
    write(topups.record_manual_credit, ctx, 5000, "bank transfer", "m-1", client)

    def refund(key):
        with Session(engine, expire_on_commit=False) as own:
            try:
                return balance_refunds.refund_customer_balance(
                    own, ctx, None, settings, client, key, 3000
                )["status"]
            except ValidationError:
                return "refused"

    pool = eventlet.GreenPool()
    outcomes = sorted(pool.imap(refund, ["r-a", "r-b", "r-c"]))
    assert outcomes == ["refused", "refused", "succeeded"]
    assert balance_of(session, ctx, client) == 2000


def test_the_timer_settles_a_refund_left_pending_once(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    intent = customer_funded(session, write, outbox, agency, settings, client, paid=5000)
    with session.begin():
        call = balance_refunds._prepare(
            session, agency, CIPHER, settings, client, "r-left", 2000, ""
        )
    balance_refunds.call_stripe(call.parts[0], call.secret, settings)  # the answer was lost
    assert balance_refunds.settle_pending_refunds(session, CIPHER, settings) == 0  # too fresh
    with session.begin():
        ago = balance_refunds.SETTLE_AFTER
        session.execute(update(BalanceRefund).values(created_at=BalanceRefund.created_at - ago))
        session.execute(
            update(BalanceRefundPart).values(claimed_at=BalanceRefundPart.claimed_at - ago)
        )
    assert balance_refunds.settle_pending_refunds(session, CIPHER, settings) == 1
    with session.begin():
        assert session.get(BalanceRefund, call.refund_id).status == "succeeded"
    assert [amount for amount, _ in stripe_refunds(settings, intent)] == [2000]
    assert balance_of(session, agency, client) == 3000
    [event] = outbox(session, "balance_refunded")
    assert event["refund_id"] == str(call.refund_id)
    assert balance_refunds.settle_pending_refunds(session, CIPHER, settings) == 0
