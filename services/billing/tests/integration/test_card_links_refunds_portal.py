"""What follows a payment: the card-update link a decline e-mails, refunds through Stripe or by
hand, the client portal's invoices and card payments, and the "inactive after N days" rule.
The real `stripe` SDK against localstripe (fixtures from test_card_payments)."""

import uuid
from datetime import timedelta

import pytest
import test_card_payments as card_payments
from sqlalchemy import select, update
from stripe_cards import CIPHER, DECLINING_CARD, GOOD_CARD, SECRET, confirm_card

from billing.facts.clients import remember_client
from billing.invoicing import invoices
from billing.models import CardLink, Invoice, Refund
from billing.payments import card_update, charging, overdue, portal_payments, refunds
from billing.payments.stripe_api import IN_FLIGHT_MARGIN_SECONDS, client_for
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PaymentFailed, ValidationError

TODAY = card_payments.TODAY
# The Stripe fixtures of test_card_payments (keys, clients with saved cards); localstripe and
# settings are conftest's.
stripe_agency, card_client = card_payments.stripe_agency, card_payments.card_client
card_invoice = card_payments.card_invoice


def with_billing_contact(session, ctx, client_id, email="pay@globex.test"):
    with session.begin():
        remember_client(
            session,
            ctx.agency,
            uuid.UUID(client_id),
            billing={"billing_contact": {"name": "Pat Payer"}, "billing_email": email},
        )


def declined(session, settings, ctx, card_client, card_invoice):
    client_id, _ = card_client(DECLINING_CARD)
    with_billing_contact(session, ctx, client_id)
    invoice_id = card_invoice(client_id)
    assert charging.charge_due_cards(session, CIPHER, settings, ctx.agency, TODAY) == {
        "declined": 1
    }
    return client_id, invoice_id


def test_a_decline_mails_a_card_link_that_saves_a_card_and_pays_again(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    read,
    outbox,
):
    _, invoice_id = declined(session, settings, stripe_agency, card_client, card_invoice)
    (event,) = outbox(session, "invoice_failed")
    assert event["billing_email"] == "pay@globex.test" and event["billing_contact"] == "Pat Payer"
    token = event["card_update_token"]
    with session.begin():
        link = session.scalar(select(CardLink))
        assert link.token_hash != token  # only its hash is kept
        assert link.expires_at - utcnow() > timedelta(days=6, hours=23)

    page = card_update.open_card_link(session, CIPHER, settings, token)
    assert page["client_name"].startswith("Card client")
    assert [i["id"] for i in page["failed_invoices"]] == [invoice_id]
    intent = page["setup"]["setup_intent_id"]
    confirm_card(settings, intent)
    done = card_update.finish_card_link(session, CIPHER, settings, token, intent)
    assert done["charged"] == {"paid": 1} and done["card"].endswith(GOOD_CARD[-4:])
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"
    # used once: opening or finishing again changes nothing
    with pytest.raises(ValidationError) as used:
        card_update.open_card_link(session, CIPHER, settings, token)
    assert used.value.fields == {"token": "used"}
    with pytest.raises(ValidationError):
        card_update.finish_card_link(session, CIPHER, settings, token, intent)


def test_a_forged_or_expired_card_link_changes_nothing(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    read,
    outbox,
):
    _, invoice_id = declined(session, settings, stripe_agency, card_client, card_invoice)
    token = outbox(session, "invoice_failed")[0]["card_update_token"]
    for forged in (token[:-2] + "xx", "short", None, "a" * 500):
        with pytest.raises(NotFound):
            card_update.open_card_link(session, CIPHER, settings, forged)
    with session.begin():
        session.execute(update(CardLink).values(expires_at=utcnow() - timedelta(seconds=1)))
    with pytest.raises(ValidationError) as expired:
        card_update.finish_card_link(session, CIPHER, settings, token, "seti_whatever")
    assert expired.value.fields == {"token": "expired"}
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "failed"


def test_partial_card_refunds_go_through_stripe_up_to_the_paid_amount(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    read,
    outbox,
):
    client_id, _ = card_client()
    invoice_id = card_invoice(client_id, rate=4500)
    charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY)
    first = refunds.refund_invoice(
        session, stripe_agency, CIPHER, settings, invoice_id, 1000, "Goodwill"
    )
    assert first["status"] == "succeeded" and first["method"] == "stripe"
    assert first["refundable"]["amount"] == 3500
    paid = read(invoices.get_invoice, stripe_agency, invoice_id)
    stripe_refunds = client_for(SECRET, settings).v1.refunds.list(
        params={"payment_intent": paid["paid_reference"]}
    )
    [made] = [r for r in stripe_refunds.auto_paging_iter() if r.id == first["stripe_refund_id"]]
    assert made.amount == 1000
    assert made.metadata.to_dict() == {"refund_key": f"refund:{invoice_id}:1"}
    with pytest.raises(ValidationError) as too_much:
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 3501)
    assert "amount" in too_much.value.fields
    rest = refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id)
    assert rest["amount"]["amount"] == 3500 and rest["refundable"]["amount"] == 0
    events = outbox(session, "payment_refunded")
    assert [e["amount"]["amount"] for e in events] == [1000, 3500]
    assert events[-1]["fully_refunded"] and events[-1]["refunded_total"]["amount"] == 4500
    assert events[0]["client_id"] == client_id and events[0]["lines"][0]["amount"]["amount"] == 4500
    assert [r["number"] for r in read(refunds.list_refunds, stripe_agency, invoice_id)] == [1, 2]


def test_a_check_payment_is_refunded_by_hand_and_an_open_invoice_not_at_all(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    write,
    outbox,
):
    client_id, _ = card_client()
    invoice_id = card_invoice(client_id)
    with pytest.raises(Conflict):
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 100)
    write(invoices.mark_paid, stripe_agency, invoice_id, "check", "No. 1001")
    manual = refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 500)
    assert (manual["method"], manual["status"], manual["stripe_refund_id"]) == (
        "manual",
        "succeeded",
        None,
    )
    with pytest.raises(ValidationError):
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, -5)
    with session.begin():
        assert session.scalar(select(Refund.idempotency_key)) == f"refund:{invoice_id}:1"
    assert len(outbox(session, "payment_refunded")) == 1


def portal_of(ctx, client_id) -> Context:
    return Context(
        agency_id=ctx.agency_id,
        principal_id="contact-login",
        kind="contact",
        client_id=client_id,
        contact_id=str(uuid.uuid4()),
    )


def test_the_portal_sees_and_pays_only_its_own_clients_invoices(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    read,
):
    mine, _ = card_client(DECLINING_CARD)
    theirs, _ = card_client()
    my_invoice, their_invoice = card_invoice(mine), card_invoice(theirs)
    portal = portal_of(stripe_agency, mine)
    listed = read(portal_payments.portal_list_invoices, portal)
    assert [i["id"] for i in listed["items"]] == [my_invoice]
    with pytest.raises(NotFound):
        read(portal_payments.portal_get_invoice, portal, their_invoice)
    with pytest.raises(NotFound):
        portal_payments.portal_pay_invoice(session, portal, CIPHER, settings, their_invoice)
    # the saved card declines; a new card entered in the portal pays it
    with pytest.raises(PaymentFailed):
        portal_payments.portal_pay_invoice(session, portal, CIPHER, settings, my_invoice)
    from billing.payments import cards

    setup = cards.start_card_setup(session, portal, CIPHER, settings, mine)
    intent = setup["setup_intent_id"]
    confirm_card(settings, intent)
    paid = portal_payments.portal_pay_invoice(session, portal, CIPHER, settings, my_invoice, intent)
    assert paid["status"] == "paid" and paid["paid_method"] == "card"
    assert read(portal_payments.portal_card, portal)["card"].endswith(GOOD_CARD[-4:])
    with pytest.raises(Conflict):
        portal_payments.portal_pay_invoice(session, portal, CIPHER, settings, my_invoice)
    with pytest.raises(NotFound):
        read(portal_payments.portal_get_invoice, portal_of(stripe_agency, theirs), my_invoice)


def test_a_client_failed_too_long_is_reported_once_when_the_agency_asks(
    card_client,
    card_invoice,
    session,
    settings,
    stripe_agency,
    write,
    outbox,
):
    client_id, invoice_id = declined(session, settings, stripe_agency, card_client, card_invoice)
    with session.begin():
        session.execute(update(Invoice).values(failed_at=utcnow() - timedelta(days=5)))
    with session.begin():
        assert overdue.report_overdue(session) == 0  # off by default
    assert write(overdue.set_billing_settings, stripe_agency, 6) == {
        "inactive_after_failed_days": 6
    }
    with session.begin():
        assert overdue.report_overdue(session) == 0  # 5 days < 6
    write(overdue.set_billing_settings, stripe_agency, 5)
    with session.begin():
        assert overdue.report_overdue(session) == 1
    with session.begin():
        assert overdue.report_overdue(session) == 0  # reported once
    (event,) = outbox(session, "client_payment_overdue")
    assert event["client_id"] == client_id and event["invoice_ids"] == [invoice_id]
    assert event["agency_id"] == stripe_agency.agency_id and event["failed_days"] == 5
    for wrong in (0, 366, "5", True):
        with pytest.raises(ValidationError):
            write(overdue.set_billing_settings, stripe_agency, wrong)


def test_a_refund_whose_answer_was_lost_is_settled_before_any_new_one(
    card_client, card_invoice, session, settings, stripe_agency, read, outbox
):
    from billing.settings import Settings
    from kit.errors import ServiceUnavailable

    client_id, _ = card_client()
    invoice_id = card_invoice(client_id, rate=3000)
    charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY)
    unreachable = Settings(14, stripe_api_base="http://127.0.0.1:9", stripe_timeout=1.0)
    with pytest.raises(ServiceUnavailable):
        refunds.refund_invoice(session, stripe_agency, CIPHER, unreachable, invoice_id, 1000)
    with session.begin():
        pending = session.scalar(select(Refund))
        assert (pending.status, pending.idempotency_key) == ("pending", f"refund:{invoice_id}:1")
    assert outbox(session, "payment_refunded") == []
    # At once, the first try may still be waiting for Stripe elsewhere: left to that call.
    with pytest.raises(Conflict) as under_way:
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 500)
    assert "under way" in under_way.value.message
    with session.begin():  # later: its caller gave up or died
        ago = settings.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS
        session.execute(
            update(Refund).values(claimed_at=Refund.claimed_at - timedelta(seconds=ago))
        )
    # the next refund settles the pending one first (with its own key), and says so
    with pytest.raises(Conflict):
        refunds.refund_invoice(session, stripe_agency, CIPHER, settings, invoice_id, 500)
    [settled] = read(refunds.list_refunds, stripe_agency, invoice_id)
    assert (settled["status"], settled["amount"]["amount"]) == ("succeeded", 1000)
    paid = read(invoices.get_invoice, stripe_agency, invoice_id)
    made = client_for(SECRET, settings).v1.refunds.list(
        params={"payment_intent": paid["paid_reference"]}
    )
    assert [r.amount for r in made.auto_paging_iter()] == [1000]
    assert len(outbox(session, "payment_refunded")) == 1
