"""Card payments with the agency's own Stripe keys: the real `stripe` SDK against localstripe."""

import hashlib
import hmac
import json
import time
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from stripe_cards import CIPHER, DECLINING_CARD, GOOD_CARD, SECRET, confirm_card

from billing.catalog import assignments, services
from billing.invoicing import invoices, runs
from billing.models import PaymentAttempt, StripeAccount, StripeCustomer
from billing.payments import accounts, cards, charging, webhooks
from billing.payments.stripe_api import IN_FLIGHT_MARGIN_SECONDS, client_for
from billing.settings import Settings
from kit.errors import PermissionDenied, ValidationError

TODAY = date.today()
WEBHOOK_SECRET = "whsec_agency_webhook"


@pytest.fixture
def stripe_agency(write, ctx, settings):
    accounts.check_keys(SECRET, settings)
    write(accounts.save_keys, ctx, CIPHER, "pk_test_agency", SECRET, WEBHOOK_SECRET)
    return ctx


@pytest.fixture
def card_client(session, stripe_agency, settings, known_client):
    """card_client(number) -> a client whose card was saved through a SetupIntent."""

    def make(number=GOOD_CARD):
        client_id = known_client(stripe_agency, f"Card client {number[-4:]}")
        setup = cards.start_card_setup(session, stripe_agency, CIPHER, settings, client_id)
        confirm_card(settings, setup["setup_intent_id"], number)
        saved = cards.save_card(
            session, stripe_agency, CIPHER, settings, client_id, setup["setup_intent_id"]
        )
        assert saved["card"].endswith(number[-4:])
        return client_id, setup["customer_id"]

    return make


@pytest.fixture
def card_invoice(write, stripe_agency, settings):
    """card_invoice(client_id) -> the id of an open card invoice issued by a run today."""

    def make(client_id, rate=4500):
        service = write(services.add_service, stripe_agency, f"Retainer {client_id[:6]}")["id"]
        made = write(
            assignments.assign_service,
            stripe_agency,
            service,
            client_id,
            "card",
            "one_time",
            TODAY.isoformat(),
            rate,
        )
        write(runs.run_billing, stripe_agency, TODAY.isoformat(), settings)
        page = write(invoices.list_invoices, stripe_agency, per_page=100)["items"]
        return next(i["id"] for i in page if i["assignment_id"] == made["id"])

    return make


def charges_for(settings, customer_id, invoice_id):
    payments = client_for(SECRET, settings).v1.payment_intents.list(params={"limit": 100})
    return [
        p
        for p in payments.auto_paging_iter()
        if p.customer == customer_id and p.metadata.to_dict().get("invoice_id") == invoice_id
    ]


def test_keys_are_kept_encrypted_and_never_shown(stripe_agency, read, session):
    shown = read(accounts.get_stripe_account, stripe_agency)
    assert shown["secret_key_last4"] == "1234" and shown["connected"]
    assert SECRET not in json.dumps(shown)
    with session.begin():
        row = session.get(StripeAccount, stripe_agency.agency)
        assert SECRET not in row.secret_key_token and WEBHOOK_SECRET not in row.webhook_secret_token


def test_keys_that_are_not_stripe_keys_are_refused():
    with pytest.raises(ValidationError) as error:
        accounts.clean_keys("pk_test_x", "password123")
    assert "secret_key" in error.value.fields


def test_a_card_invoice_is_charged_as_it_is_issued(
    card_client, card_invoice, session, settings, stripe_agency, read, outbox
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    outcome = charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY)
    assert outcome == {"paid": 1}
    invoice = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert (invoice["status"], invoice["paid_method"]) == ("paid", "card")
    (payment,) = charges_for(settings, customer, invoice_id)
    assert payment.status == "succeeded" and payment.amount == 4500
    with session.begin():
        attempt = session.scalar(select(PaymentAttempt))
        assert attempt.idempotency_key == f"charge:{invoice_id}:1"
        assert attempt.status == "succeeded" and attempt.payment_intent_id == payment.id
    assert charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY) == {}


def test_a_decline_fails_the_invoice_and_the_retry_after_a_new_card_pays_it(
    card_client, card_invoice, session, settings, stripe_agency, read, outbox
):
    client_id, _customer = card_client(DECLINING_CARD)
    invoice_id = card_invoice(client_id)
    assert charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY) == {
        "declined": 1
    }
    failed = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert failed["status"] == "failed" and "declined" in failed["failure_reason"]
    (event,) = outbox(session, "invoice_failed")
    assert event["invoice_id"] == invoice_id and "declined" in event["reason"]
    # nothing until the first retry day (3 days after the decline)
    later = TODAY + timedelta(days=2)
    assert charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, later) == {}
    # the client saves a good card on the same customer
    setup = cards.start_card_setup(session, stripe_agency, CIPHER, settings, client_id)
    confirm_card(settings, setup["setup_intent_id"], GOOD_CARD)
    cards.save_card(session, stripe_agency, CIPHER, settings, client_id, setup["setup_intent_id"])
    retry_day = TODAY + timedelta(days=3)
    assert charging.charge_due_cards(
        session, CIPHER, settings, stripe_agency.agency, retry_day
    ) == {"paid": 1}
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"


def test_a_voided_invoice_is_not_retried(
    card_client, card_invoice, session, settings, stripe_agency, write
):
    client_id, _ = card_client(DECLINING_CARD)
    invoice_id = card_invoice(client_id)
    charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY)
    write(invoices.void_invoice, stripe_agency, invoice_id)
    retry_day = TODAY + timedelta(days=3)
    assert (
        charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, retry_day) == {}
    )


def test_a_charge_stripe_refuses_fails_the_invoice_like_a_decline(
    card_client, card_invoice, session, settings, stripe_agency, read, outbox
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    # The agency deleted the customer in its Stripe dashboard: Stripe refuses the request.
    client_for(SECRET, settings).v1.customers.delete(customer)
    assert charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY) == {
        "declined": 1
    }
    failed = read(invoices.get_invoice, stripe_agency, invoice_id)
    assert failed["status"] == "failed" and "refused" in failed["failure_reason"]
    (event,) = outbox(session, "invoice_failed")
    assert event["invoice_id"] == invoice_id and event["reason"] == failed["failure_reason"]
    with session.begin():
        assert session.scalars(select(PaymentAttempt.status)).all() == ["failed"]
    # Not tried again at every run: on the retry days, as after a decline.
    assert charging.charge_due_cards(session, CIPHER, settings, stripe_agency.agency, TODAY) == {}
    assert charges_for(settings, customer, invoice_id) == []


def test_a_reply_lost_after_stripe_charged_never_charges_twice(
    card_client, card_invoice, session, settings, stripe_agency, read, localstripe
):
    client_id, customer = card_client()
    invoice_id = card_invoice(client_id)
    # Stripe unreachable: the attempt is recorded before the call and stays pending
    unreachable = Settings(14, stripe_api_base="http://127.0.0.1:9", stripe_timeout=1.0)
    outcome = charging.charge_invoice(
        session, CIPHER, unreachable, stripe_agency.agency, invoice_id
    )
    assert outcome == charging.UNKNOWN
    with session.begin():
        attempt = session.scalar(select(PaymentAttempt))
        assert attempt.status == "pending" and attempt.idempotency_key.endswith(":1")
        key = attempt.idempotency_key
    assert charges_for(settings, customer, invoice_id) == []
    # At once, the try may still be waiting for Stripe elsewhere: left to that call.
    assert (
        charging.charge_invoice(session, CIPHER, settings, stripe_agency.agency, invoice_id)
        == charging.SKIPPED
    )
    with session.begin():  # later: its caller gave up or died
        attempt = session.scalar(select(PaymentAttempt))
        ago = settings.stripe_timeout + IN_FLIGHT_MARGIN_SECONDS
        attempt.claimed_at -= timedelta(seconds=ago)
    # now the crash case: Stripe charged under that key, and our process died before recording
    with session.begin():
        card = session.get(StripeCustomer, uuid.UUID(client_id)).payment_method_id
    stripe = client_for(SECRET, settings)
    stripe.v1.payment_intents.create(
        params={
            "amount": 4500,
            "currency": "usd",
            "customer": customer,
            "payment_method": card,
            "off_session": True,
            "confirm": True,
            "metadata": {"invoice_id": invoice_id, "charge_key": key},
        },
        options={"idempotency_key": key},
    )
    assert (
        charging.charge_invoice(session, CIPHER, settings, stripe_agency.agency, invoice_id)
        == charging.PAID
    )
    assert len(charges_for(settings, customer, invoice_id)) == 1
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"


def signed(payload: str, secret: str = WEBHOOK_SECRET) -> str:
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={stamp},v1={mac}"


def payment_event(event_id, event_type, key, intent_id="pi_1", created=None):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": event_type,
            "created": created or int(time.time()),
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "metadata": {"charge_key": key},
                    "last_payment_error": {"message": "Your card was declined."},
                }
            },
        }
    )


def test_webhooks_are_verified_deduplicated_and_reconcile_a_pending_charge(
    card_client, card_invoice, session, settings, stripe_agency, read
):
    client_id, _ = card_client()
    invoice_id = card_invoice(client_id)
    unreachable = Settings(14, stripe_api_base="http://127.0.0.1:9", stripe_timeout=1.0)
    charging.charge_invoice(session, CIPHER, unreachable, stripe_agency.agency, invoice_id)
    key = f"charge:{invoice_id}:1"
    agency = stripe_agency.agency_id

    def handle(payload, signature):
        with session.begin():
            return webhooks.handle_stripe_webhook(session, CIPHER, agency, payload, signature)

    succeeded = payment_event("evt_1", "payment_intent.succeeded", key)
    with pytest.raises(PermissionDenied):
        handle(succeeded, signed(succeeded, "whsec_someone_else"))
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "open"
    assert handle(succeeded, signed(succeeded))["handled"] is True
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"
    assert handle(succeeded, signed(succeeded)) == {"handled": False, "reason": "duplicate"}
    late_failure = payment_event("evt_0", "payment_intent.payment_failed", key)
    assert handle(late_failure, signed(late_failure))["handled"] is False
    assert read(invoices.get_invoice, stripe_agency, invoice_id)["status"] == "paid"
