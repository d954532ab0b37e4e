"""Funding switches and card top-ups with the agency's own Stripe keys: the real `stripe` SDK
against localstripe, the real database. The customer's browser side (Stripe.js confirming the
card) is played with the SDK here."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from stripe_cards import CIPHER, DECLINING_CARD, GOOD_CARD, SECRET, confirm_card

from billing.ledger import accounts, funding, topups, usage
from billing.ledger.tables import FundingRequest, TopupAttempt
from billing.models import StripeCustomer
from billing.payments import accounts as stripe_accounts
from billing.payments.stripe_api import client_for
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, LimitExceeded, NotFound, PaymentFailed, ValidationError


@pytest.fixture
def agency(write, ctx, settings):
    """An agency with its Stripe keys."""
    write(stripe_accounts.save_keys, ctx, CIPHER, "pk_test_agency", SECRET, "whsec_x")
    return ctx


def request_link(session, write, outbox, ctx, settings, client, starting=5000) -> str:
    write(
        funding.request_customer_funding,
        ctx,
        settings,
        client,
        "Pay@Globex.test",
        starting,
        "Please fund your calls",
    )
    return outbox(session, "funding_request_sent")[-1]["token"]


def test_a_customer_who_pays_the_starting_balance_switches_the_client_to_customer_billing(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency, "Globex")
    token = request_link(session, write, outbox, agency, settings, client)
    [sent] = outbox(session, "funding_request_sent")
    assert (sent["email"], sent["client_name"]) == ("Pay@globex.test", "Globex")
    assert sent["starting_balance"] == {"amount": 5000, "currency": "USD"}
    pending = accounts.get_funding(session, agency, client)
    session.rollback()
    assert pending["funded_by"] == "agency" and pending["pending_request"]["status"] == "pending"

    page = funding.get_customer_request(session, token)
    session.rollback()
    assert page["client_name"] == "Globex" and page["publishable_key"] == "pk_test_agency"
    setup = funding.start_customer_card(session, CIPHER, settings, token)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    with pytest.raises(ValidationError) as under:  # less than the starting balance
        funding.pay_customer_funding(
            session, CIPHER, settings, token, setup["setup_intent_id"], 4999
        )
    assert "amount" in under.value.fields
    paid = funding.pay_customer_funding(
        session, CIPHER, settings, token, setup["setup_intent_id"], 6000
    )
    assert paid == {
        "client_name": "Globex",
        "funded_by": "customer",
        "balance": {"amount": 6000, "currency": "USD"},
    }
    [changed] = outbox(session, "funding_changed")
    assert changed["funded_by"] == "customer" and changed["client_id"] == client
    topped = outbox(session, "balance_topped_up")[-1]
    assert (topped["account"], topped["method"], topped["client_id"]) == ("client", "card", client)
    # The link is single use.
    with pytest.raises(NotFound):
        funding.pay_customer_funding(
            session, CIPHER, settings, token, setup["setup_intent_id"], 6000
        )
    # Usage now draws from the customer's own balance.
    drawn = usage.record_usage(session, agency, client, 1000, "calls", "u-1")
    assert (drawn["funded_by"], drawn["balance_after"]["amount"]) == ("customer", 5000)

    # Top-ups of the customer balance charge the saved card.
    more = topups.top_up_by_card(session, agency, CIPHER, settings, 2500, "t-1", client)
    assert (more["method"], more["balance_after"]["amount"]) == ("card", 7500)
    again = topups.top_up_by_card(session, agency, CIPHER, settings, 2500, "t-1", client)
    assert again["transfer_id"] == more["transfer_id"]
    with pytest.raises(ValidationError):
        topups.top_up_by_card(session, agency, CIPHER, settings, 2499, "t-2", client)

    # Back to agency billing: the card detached, the balance moved as one transfer.
    with session.begin():
        method = session.get(StripeCustomer, uuid.UUID(client)).payment_method_id
    back = funding.fund_by_agency(session, agency, CIPHER, settings, client)
    assert back["funded_by"] == "agency" and back["balance"]["amount"] == 0
    with session.begin():
        assert session.get(StripeCustomer, uuid.UUID(client)).payment_method_id is None
        balances = accounts.get_balances(session, agency)
    assert balances["agency"]["balance"]["amount"] == 7500
    detached = client_for(SECRET, settings).v1.payment_methods.retrieve(method)
    assert detached.customer is None
    with pytest.raises(Conflict):  # no card any more
        topups.top_up_by_card(session, agency, CIPHER, settings, 2500, "t-3", client)


def test_an_expired_or_cancelled_link_is_refused_and_a_resend_replaces_the_link(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency)
    token = request_link(session, write, outbox, agency, settings, client)
    request_id = outbox(session, "funding_request_sent")[-1]["funding_request_id"]
    with pytest.raises(Conflict):  # one pending request per client
        request_link(session, write, outbox, agency, settings, client)
    write(funding.resend_funding_request, agency, settings, client, request_id)
    fresh = outbox(session, "funding_request_sent")[-1]["token"]
    with pytest.raises(NotFound):  # the first link stopped working
        funding.get_customer_request(session, token)
    session.rollback()
    with session.begin():
        session.execute(update(FundingRequest).values(expires_at=utcnow() - timedelta(minutes=1)))
    with pytest.raises(ValidationError) as expired:
        funding.start_customer_card(session, CIPHER, settings, fresh)
    assert expired.value.fields == {"token": "expired"}
    write(funding.cancel_funding_request, agency, client, request_id)
    with pytest.raises(NotFound):
        funding.get_customer_request(session, fresh)
    session.rollback()
    assert accounts.get_funding(session, agency, client)["pending_request"] is None
    session.rollback()


def test_a_declined_card_leaves_the_client_on_agency_billing_and_the_link_usable(
    session, write, outbox, agency, known_client, settings
):
    client = known_client(agency)
    token = request_link(session, write, outbox, agency, settings, client)
    setup = funding.start_customer_card(session, CIPHER, settings, token)
    confirm_card(settings, setup["setup_intent_id"], DECLINING_CARD)
    with pytest.raises(PaymentFailed):
        funding.pay_customer_funding(
            session, CIPHER, settings, token, setup["setup_intent_id"], 5000
        )
    with session.begin():
        [attempt] = session.scalars(select(TopupAttempt)).all()
        assert attempt.status == "failed" and attempt.failure_reason
    assert accounts.get_funding(session, agency, client)["funded_by"] == "agency"
    session.rollback()
    assert funding.get_customer_request(session, token)["client_name"]
    session.rollback()


def test_bad_funding_requests_are_refused_and_change_nothing(
    session, write, agency, known_client, settings, make_ctx
):
    client = known_client(agency)
    for email, starting in (("not-an-email", 5000), ("a@b.test", 2499), ("a@b.test", "50")):
        with pytest.raises(ValidationError):
            write(funding.request_customer_funding, agency, settings, client, email, starting)
    with pytest.raises(NotFound):
        write(
            funding.request_customer_funding,
            agency,
            settings,
            known_client(make_ctx()),
            "a@b.test",
            5000,
        )
    with session.begin():
        assert session.scalars(select(FundingRequest)).all() == []


def test_the_agency_tops_up_its_balance_from_its_saved_card_and_a_decline_changes_nothing(
    session, agency, known_client, settings, outbox
):
    with pytest.raises(Conflict):  # no card yet
        topups.top_up_by_card(session, agency, CIPHER, settings, 2500, "a-0")
    setup = topups.start_agency_card_setup(session, agency, CIPHER, settings)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    assert topups.save_agency_card(session, agency, CIPHER, settings, setup["setup_intent_id"]) == {
        "card": "visa ending 4242"
    }
    client = known_client(agency)
    with pytest.raises(LimitExceeded):  # nothing to draw yet: refused and paused
        usage.record_usage(session, agency, client, 100, "", "u-0")
    topped = topups.top_up_by_card(session, agency, CIPHER, settings, 3000, "a-1")
    assert (topped["account"], topped["method"], topped["balance_after"]["amount"]) == (
        "agency",
        "card",
        3000,
    )
    assert usage.record_usage(session, agency, client, 100, "", "u-1")["balance_after"] == {
        "amount": 2900,
        "currency": "USD",
    }
    declining = topups.start_agency_card_setup(session, agency, CIPHER, settings)
    confirm_card(settings, declining["setup_intent_id"], DECLINING_CARD)
    topups.save_agency_card(session, agency, CIPHER, settings, declining["setup_intent_id"])
    with pytest.raises(PaymentFailed):
        topups.top_up_by_card(session, agency, CIPHER, settings, 3000, "a-2")
    with session.begin():
        assert accounts.get_balances(session, agency)["agency"]["balance"]["amount"] == 2900
        failed = session.scalar(select(TopupAttempt).where(TopupAttempt.status == "failed"))
        assert failed.failure_reason
    assert len(outbox(session, "balance_topped_up")) == 1


def test_a_top_up_stripe_refuses_fails_at_once_and_changes_nothing(
    session, agency, settings, outbox
):
    setup = topups.start_agency_card_setup(session, agency, CIPHER, settings)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    topups.save_agency_card(session, agency, CIPHER, settings, setup["setup_intent_id"])
    # The agency's customer deleted in its Stripe dashboard: Stripe refuses the charge.
    client_for(SECRET, settings).v1.customers.delete(setup["customer_id"])
    with pytest.raises(PaymentFailed) as refused:
        topups.top_up_by_card(session, agency, CIPHER, settings, 3000, "gone-1")
    assert "refused" in refused.value.message
    with session.begin():
        assert accounts.get_balances(session, agency)["agency"]["balance"]["amount"] == 0
        attempt = session.scalar(select(TopupAttempt))
        assert attempt.status == "failed" and "refused" in attempt.failure_reason
    assert outbox(session, "balance_topped_up") == []


def test_a_draw_under_the_threshold_recharges_the_agency_balance_once_from_its_card(
    session, agency, known_client, settings, outbox
):
    setup = topups.start_agency_card_setup(session, agency, CIPHER, settings)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    topups.save_agency_card(session, agency, CIPHER, settings, setup["setup_intent_id"])
    with session.begin():
        accounts.set_balance_settings(session, agency, 3000, 5000)
    topups.top_up_by_card(session, agency, CIPHER, settings, 4000, "first")
    client = known_client(agency)

    def recharge(client_id, amount, key):
        system = Context.system(agency.agency_id)
        return topups.top_up_by_card(session, system, CIPHER, settings, amount, key, client_id)

    def draw(amount, key):
        return usage.record_usage(session, agency, client, amount, "", key, recharge=recharge)

    assert draw(500, "u-1")["balance_after"]["amount"] == 3500  # above the threshold
    assert draw(1000, "u-2")["balance_after"]["amount"] == 2500  # crossed: low, recharged
    draw(100, "u-3")  # still flagged low: no second recharge
    with session.begin():
        assert accounts.get_balances(session, agency)["agency"]["balance"]["amount"] == 7400
    assert len(outbox(session, "balance_low")) == 1
    recharges = [e for e in outbox(session, "balance_topped_up") if e["amount"]["amount"] == 5000]
    assert len(recharges) == 1 and recharges[0]["method"] == "card"
