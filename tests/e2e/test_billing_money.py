"""Money after the invoice, through the running system (localstripe, SMTP): the billing
contact's receipt, the failed-payment e-mails, Stripe webhooks signed with the agency's secret
(a valid one, its duplicate, a forged one), refunds, the overdue setting, and the portal kept
to its own client's invoices."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import psycopg
import pytest
import stripe

from tests.e2e.test_billing_api import (
    DECLINING_CARD,
    GOOD_CARD,
    SECRET,
    assign,
    billable_client,
    make_service,
    run_billing,
    saved_card,
)
from tests.support.api import ApiClient, assert_error, unique_email
from tests.support.clients import portal_session

pytestmark = pytest.mark.e2e

WEBHOOK_SECRET = "whsec_e2e_money"


def card_agency(new_agency) -> ApiClient:
    owner = new_agency()
    keys = {
        "publishable_key": "pk_test_e2e",
        "secret_key": SECRET,
        "webhook_secret": WEBHOOK_SECRET,
    }
    owner.put("/agency/stripe", json=keys, expect=200)
    return owner


def client_with_contacts(owner: ApiClient, *names: str) -> tuple[dict, list[dict]]:
    client = billable_client(owner)
    contacts = [
        owner.post(
            f"/clients/{client['id']}/contacts",
            json={"name": name, "email": unique_email(name.lower())},
            expect=201,
        ).json()
        for name in names
    ]
    return client, contacts


def signed(payload: str, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """Stripe's signature scheme: `t=<time>,v1=HMAC-SHA256(secret, "<time>.<payload>")`."""
    at = at or int(time.time())
    digest = hmac.new(secret.encode(), f"{at}.{payload}".encode(), hashlib.sha256).hexdigest()
    return f"t={at},v1={digest}"


def eventually(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        answer = check()
        if answer or time.monotonic() > deadline:
            return answer
        time.sleep(0.2)


def billing_knows_billing_email(system, client: dict, email: str, timeout: float = 20) -> None:
    """Wait until billing has heard (from the clients service's events) whom the client's
    invoices reach: its facts are kept from events, a moment after the change."""
    url = system.database_urls["billing"].replace("postgresql+psycopg://", "postgresql://")
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as db:
        while True:
            row = db.execute(
                "SELECT billing_email FROM client_facts WHERE client_id = %s", (client["id"],)
            ).fetchone()
            if row and row[0] == email:
                return
            assert time.monotonic() < deadline, f"billing still has {row} for {email}"
            time.sleep(0.1)


def test_a_paid_card_invoice_sends_the_receipt_to_the_chosen_billing_contact(
    new_agency, system, mailbox
):
    owner = card_agency(new_agency)
    client, (first, payer) = client_with_contacts(owner, "Fiona", "Paul")
    shown = owner.get(f"/clients/{client['id']}", expect=200).json()["billing_contact"]
    assert (shown["id"], shown["chosen"]) == (first["id"], False)  # the first contact by default
    chosen = owner.put(
        f"/clients/{client['id']}/billing-contact", json={"contact_id": payer["id"]}, expect=200
    ).json()
    assert chosen["billing_contact"]["email"] == payer["email"]
    _, (stranger,) = client_with_contacts(owner, "Sam")
    wrong = owner.put(
        f"/clients/{client['id']}/billing-contact", json={"contact_id": stranger["id"]}
    )
    assert "billing_contact_id" in assert_error(wrong, 422)["fields"]

    saved_card(owner, system.stripe_url, client, GOOD_CARD)
    service = make_service(owner)
    assign(
        owner,
        client,
        service,
        payment_method="card",
        billing_type="recurring_in_advance",
        rate=9900,
    )
    billing_knows_billing_email(system, client, payer["email"])
    assert run_billing(owner)["charged"] == {"paid": 1}
    receipt = mailbox.wait_for(payer["email"], "Receipt for invoice", timeout=20)
    assert "99.00" in receipt.text
    assert not mailbox.find(first["email"], "Receipt")


def test_a_declined_card_e_mails_the_agency_and_the_client_a_card_link(new_agency, system, mailbox):
    owner = card_agency(new_agency)
    client, (payer,) = client_with_contacts(owner, "Dana")
    saved_card(owner, system.stripe_url, client, DECLINING_CARD)
    service = make_service(owner)
    billing_knows_billing_email(system, client, payer["email"])
    charge = {
        "client_id": client["id"],
        "service_id": service["id"],
        "amount": 2500,
        "payment_method": "card",
    }
    failed = owner.post("/charges", json=charge, expect=201).json()
    assert failed["status"] == "failed"
    to_agency = mailbox.wait_for(owner.email, "Payment failed", timeout=20)
    assert str(failed["number"]) in to_agency.subject and client["name"] in to_agency.text
    to_client = mailbox.wait_for(payer["email"], "did not go through", timeout=20)
    link = next(u for u in to_client.text.split() if "/pay/card?token=" in u)
    page = owner.anonymous().http.get(link, timeout=30)
    assert page.status_code == 200 and "Update your card" in page.text
    assert system.stripe_url in page.headers["Content-Security-Policy"]
    forged = owner.anonymous().http.get(link[:-3] + "abc", timeout=30)
    assert forged.status_code == 404 and "not valid" in forged.text


def webhook_event(intent_id: str, invoice_id: str, key: str) -> str:
    return json.dumps(
        {
            "id": f"evt_{uuid.uuid4().hex[:16]}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": int(time.time()),
            "data": {
                "object": {
                    "id": intent_id,
                    "object": "payment_intent",
                    "status": "succeeded",
                    "metadata": {"invoice_id": invoice_id, "charge_key": key},
                }
            },
        }
    )


def test_webhooks_verified_with_the_agency_secret_reconcile_once(new_agency, system):
    owner = card_agency(new_agency)
    client = billable_client(owner)
    saved_card(owner, system.stripe_url, client, DECLINING_CARD)
    service = make_service(owner)
    charge = {
        "client_id": client["id"],
        "service_id": service["id"],
        "amount": 3100,
        "payment_method": "card",
    }
    failed = owner.post("/charges", json=charge, expect=201).json()
    assert failed["status"] == "failed"
    intents = stripe.StripeClient(SECRET, base_addresses={"api": system.stripe_url})
    [intent] = [
        p
        for p in intents.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter()
        if p.metadata.to_dict().get("invoice_id") == failed["id"]
    ]
    payload = webhook_event(intent.id, failed["id"], f"charge:{failed['id']}:1")
    hook = owner.anonymous()
    url = f"/webhooks/stripe/{owner.agency['id']}"

    bad = hook.post(url, data=payload, headers={"Stripe-Signature": signed(payload, "whsec_wrong")})
    assert_error(bad, 403)
    stale = hook.post(url, data=payload, headers={"Stripe-Signature": signed(payload, at=1)})
    assert_error(stale, 403)  # outside Stripe's tolerance: a replayed signature
    assert owner.get(f"/invoices/{failed['id']}", expect=200).json()["status"] == "failed"

    good = hook.post(url, data=payload, headers={"Stripe-Signature": signed(payload)}, expect=200)
    assert good.json() == {"handled": True, "reason": "payment_intent.succeeded"}
    paid = owner.get(f"/invoices/{failed['id']}", expect=200).json()
    assert (paid["status"], paid["paid_reference"]) == ("paid", intent.id)
    again = hook.post(url, data=payload, headers={"Stripe-Signature": signed(payload)}, expect=200)
    assert again.json() == {"handled": False, "reason": "duplicate"}


def test_refunds_go_through_stripe_up_to_what_was_paid(new_agency, system):
    owner = card_agency(new_agency)
    client = billable_client(owner)
    saved_card(owner, system.stripe_url, client, GOOD_CARD)
    service = make_service(owner)
    charge = {
        "client_id": client["id"],
        "service_id": service["id"],
        "amount": 5000,
        "payment_method": "card",
    }
    paid = owner.post("/charges", json=charge, expect=201).json()
    assert paid["status"] == "paid"
    part = owner.post(
        f"/invoices/{paid['id']}/refund", json={"amount": 1200, "reason": "Late"}, expect=201
    ).json()
    assert (part["method"], part["status"], part["refundable"]["amount"]) == (
        "stripe",
        "succeeded",
        3800,
    )
    too_much = owner.post(f"/invoices/{paid['id']}/refund", json={"amount": 3801})
    assert "amount" in assert_error(too_much, 422)["fields"]
    not_a_number = owner.post(f"/invoices/{paid['id']}/refund", json={"amount": "ten"})
    assert_error(not_a_number, 422)
    rest = owner.post(f"/invoices/{paid['id']}/refund", json={}, expect=201).json()
    assert rest["amount"]["amount"] == 3800
    listed = owner.get(f"/invoices/{paid['id']}/refunds", expect=200).json()
    assert [r["amount"]["amount"] for r in listed["items"]] == [1200, 3800]
    refunds = stripe.StripeClient(SECRET, base_addresses={"api": system.stripe_url}).v1.refunds
    made = refunds.list(params={"payment_intent": paid["paid_reference"]}).auto_paging_iter()
    assert sorted(r.amount for r in made) == [1200, 3800]
    other = new_agency()
    assert_error(other.post(f"/invoices/{paid['id']}/refund", json={}), 404)


def test_the_overdue_setting_is_off_by_default_and_checked(new_agency):
    owner = new_agency()
    assert owner.get("/agency/billing-settings", expect=200).json() == {
        "inactive_after_failed_days": None
    }
    body = {"inactive_after_failed_days": 10}
    assert owner.put("/agency/billing-settings", json=body, expect=200).json() == body
    assert_error(owner.put("/agency/billing-settings", json={"inactive_after_failed_days": 0}), 422)
    assert owner.get("/agency/billing-settings", expect=200).json() == body


def test_the_portal_sees_only_its_own_clients_invoices(new_agency, mailbox):
    owner = new_agency()
    client = billable_client(owner)
    email = unique_email("portal")
    owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Pia Portal", "email": email, "invite": True},
        expect=201,
    )
    service = make_service(owner)
    mine = owner.post(
        "/charges",
        json={"client_id": client["id"], "service_id": service["id"], "amount": 700},
        expect=201,
    ).json()
    other = billable_client(owner)
    theirs = owner.post(
        "/charges",
        json={"client_id": other["id"], "service_id": service["id"], "amount": 800},
        expect=201,
    ).json()
    portal = portal_session(owner, mailbox, email)
    web = portal.http
    listed = web.get(f"{portal.base_url}/portal/invoices", timeout=30)
    assert listed.status_code == 200 and f"invoice-row-{mine['number']}" in listed.text
    assert f"invoice-row-{theirs['number']}" not in listed.text
    assert (
        web.get(f"{portal.base_url}/portal/invoices/{theirs['id']}", timeout=30).status_code == 404
    )
    assert web.get(f"{portal.base_url}/portal/invoices/{mine['id']}", timeout=30).status_code == 200
    pdf = web.get(f"{portal.base_url}/portal/invoices/{mine['id']}/pdf", timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        web.get(f"{portal.base_url}/portal/invoices/{theirs['id']}/pdf", timeout=30).status_code
        == 404
    )


def test_a_check_clients_invoice_is_e_mailed_with_its_pdf(new_agency, system, mailbox):
    owner = new_agency()
    client, (payer,) = client_with_contacts(owner, "Chuck")
    billing_knows_billing_email(system, client, payer["email"])
    charge = {"client_id": client["id"], "service_id": make_service(owner)["id"], "amount": 6400}
    invoice = owner.post("/charges", json=charge, expect=201).json()
    mail = mailbox.wait_for(payer["email"], f"Invoice {invoice['number']}", timeout=20)
    assert "64.00" in mail.text
    [pdf] = list(mail.message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
