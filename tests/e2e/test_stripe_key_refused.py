"""An agency's Stripe key revoked at Stripe, through the running system: the card invoice stays
open (not failed, the client not asked for a card) with the reason shown, the agency's billing
team gets one e-mail, Settings > Payments says so, what needs Stripe answers 409
`stripe_key_refused` (not 503), and a new key clears it: the next run charges the invoice.
Stripe refuses the key at the proxy in front of localstripe (tests/e2e/conftest.py)."""

from __future__ import annotations

import uuid

import pytest
import requests

from tests.e2e.test_billing_api import GOOD_CARD, assign, billable_client, make_service, run_billing
from tests.support.api import assert_error
from tests.support.cards import confirm_card

pytestmark = pytest.mark.e2e

SUBJECT = "Stripe refused your key: enter a new one"


def page_of(owner, path: str) -> str:
    """A page as the owner sees it (pages take the API token too)."""
    page = requests.get(
        f"{owner.base_url}{path}",
        headers={"Authorization": f"Bearer {owner.token}"},
        timeout=30,
    )
    assert page.status_code == 200, page.text[:500]
    return page.text


def test_a_revoked_stripe_key_waits_for_a_new_one_and_then_charges_the_open_invoice(
    new_agency, system, stripe_proxy, mailbox
):
    owner = new_agency()
    revoked = f"sk_test_e2e_revoked_{uuid.uuid4().hex[:8]}"
    owner.put(
        "/agency/stripe",
        json={"publishable_key": "pk_test_e2e", "secret_key": revoked},
        expect=200,
    )
    client, service = billable_client(owner), make_service(owner)
    setup = owner.post(f"/clients/{client['id']}/payment-method", expect=200).json()
    confirm_card(system.stripe_url, revoked, setup, GOOD_CARD)
    owner.put(
        f"/clients/{client['id']}/payment-method",
        json={"setup_intent_id": setup["setup_intent_id"]},
        expect=200,
    )
    assign(owner, client, service, payment_method="card", rate=4500)

    stripe_proxy.refuse_key(revoked)  # rolled at Stripe's dashboard
    run = run_billing(owner)
    assert run["issued"] == 1 and run["charged"] == {"key_refused": 1}, run
    (invoice,) = owner.get("/invoices", params={"client_id": client["id"]}).json()["items"]
    assert invoice["status"] == "open"
    assert "Stripe refused the agency's secret key" in invoice["failure_reason"]
    assert owner.get("/invoices", params={"status": "failed"}).json()["total"] == 0
    account = owner.get("/agency/stripe", expect=200).json()
    assert account["connected"] and account["key_refused_at"]

    told = mailbox.wait_for(owner.email, SUBJECT)
    assert "/settings/payments" in told.text and "Nothing was charged." in told.text
    page = page_of(owner, f"/billing/invoices/{invoice['id']}")
    assert "Not charged yet: Stripe refused the agency&#39;s secret key" in page
    page = page_of(owner, "/settings/payments")
    assert 'data-test="stripe-key-refused"' in page
    assert "Stripe refused your key: enter a new one." in page

    # Nothing more is asked of Stripe: a second run waits, what needs Stripe says why.
    assert run_billing(owner)["charged"] == {"key_refused": 1}
    error = assert_error(
        owner.post(f"/clients/{client['id']}/payment-method"), 409, "stripe_key_refused"
    )
    assert "Settings > Payments" in error["message"]
    top_up = {"amount": 2500, "idempotency_key": uuid.uuid4().hex, "client_id": client["id"]}
    assert_error(owner.post("/balances/top-ups", json=top_up), 409, "stripe_key_refused")

    # A new key clears the mark; the next run charges the open invoice.
    rolled = f"sk_test_e2e_rolled_{uuid.uuid4().hex[:8]}"
    keys = {"publishable_key": "pk_test_e2e", "secret_key": rolled}
    assert owner.put("/agency/stripe", json=keys, expect=200).json()["key_refused_at"] is None
    assert 'data-test="stripe-key-refused"' not in page_of(owner, "/settings/payments")
    assert run_billing(owner)["charged"] == {"paid": 1}
    paid = owner.get(f"/invoices/{invoice['id']}", expect=200).json()
    assert (paid["status"], paid["paid_method"], paid["failure_reason"]) == ("paid", "card", None)
    assert len(mailbox.find(owner.email, SUBJECT)) == 1  # told once
