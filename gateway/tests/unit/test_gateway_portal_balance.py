"""The portal's Balance page: a Stripe.js page (its policy, never cached) for a customer-funded
client's contact, whose top-up goes to billing in minor units with the page's idempotency key;
a contact of an agency-funded client gets a 404 (billing's NotFound)."""

from __future__ import annotations

import re

from kit.errors import NotFound, ValidationError

SETUP = {
    "setup_intent_id": "seti_1",
    "client_secret": "seti_1_secret_x",
    "publishable_key": "pk_test_1",
    "customer_id": "cus_1",
}
BALANCE = {
    "client_id": "00000000-0000-0000-0000-0000000000d4",
    "balance": {"amount": 3000, "currency": "USD"},
    "usage_paused": True,
    "card_payments": True,
    "card": "visa ending 4242",
    "minimum_topup": {"amount": 2500, "currency": "USD"},
    "transfers": [
        {
            "id": "t-1",
            "kind": "topup",
            "amount": {"amount": 3000, "currency": "USD"},
            "direction": "in",
            "balance_after": {"amount": 3000, "currency": "USD"},
            "client_id": "00000000-0000-0000-0000-0000000000d4",
            "description": "Starting balance paid by the customer",
            "reference": "pi_1",
            "recorded_on": "2026-11-29",
            "created_at": "2026-11-29T08:00:00+00:00",
        }
    ],
}


def signed_in_contact(client, rpc) -> None:
    contact = rpc.answers[("identity", "authenticate_api_token")]("contact-token")
    assert contact["kind"] == "contact"
    rpc.answers[("identity", "authenticate_session")] = lambda token: contact
    with client.session_transaction() as session:
        session["sid"] = "portal-session"


def test_an_agency_funded_clients_contact_has_no_balance_page(client, rpc):
    signed_in_contact(client, rpc)

    def none():
        raise NotFound("There is no prepaid balance for this account.")

    rpc.answers[("billing", "portal_balance")] = none
    assert client.get("/portal/balance").status_code == 404


def test_the_balance_page_tops_up_in_minor_units_once_per_page(app, client, rpc):
    app.config["STRIPE_JS_URL"] = "https://js.stripe.com/v3/"
    signed_in_contact(client, rpc)
    rpc.answers[("billing", "portal_balance")] = lambda: BALANCE
    rpc.answers[("billing", "start_card_setup")] = lambda client_id: SETUP
    page = client.get("/portal/balance")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert "https://js.stripe.com" in page.headers["Content-Security-Policy"]
    assert "30.00 USD" in text and 'data-test="usage-paused"' in text
    assert "Pay with visa ending 4242" in text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', text).group(1)

    topped = []
    rpc.answers[("billing", "portal_top_up")] = lambda amount, k, setup: (
        topped.append((amount, k, setup)) or {"amount": {"amount": amount, "currency": "USD"}}
    )
    form = {"csrf_token": csrf, "idempotency_key": key, "amount": "25.50", "setup_intent_id": ""}
    answer = client.post("/portal/balance", data=form)
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/portal/balance")
    assert topped == [(2550, key, None)]

    def refuse(amount, k, setup):
        raise ValidationError("amount must be at least 25.00.", {"amount": "at least 2500"})

    rpc.answers[("billing", "portal_top_up")] = refuse
    small = client.post("/portal/balance", data={**form, "amount": "20"})
    assert small.status_code == 422
    assert "amount must be at least 25.00." in small.get_data(as_text=True)
    assert 'value="20"' in small.get_data(as_text=True)
