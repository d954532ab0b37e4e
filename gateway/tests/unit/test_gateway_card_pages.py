"""The pages that take a card: only they let Stripe.js in (its origin in script-src and
connect-src), the e-mailed card link needs no login, and a forged, used or expired link is a
page saying so that changes nothing."""

from __future__ import annotations

from kit.errors import NotFound, StripeKeyRefused, ValidationError

SETUP = {
    "setup_intent_id": "seti_1",
    "client_secret": "seti_1_secret_x",
    "publishable_key": "pk_test_1",
    "customer_id": "cus_1",
}
PAGE = {
    "client_name": "Globex",
    "agency_name": "Acme Agency",
    "expires_at": "2026-12-06T05:00:00+00:00",
    "failed_invoices": [
        {
            "id": "inv-1",
            "number": 7,
            "issued_on": "2026-11-29",
            "total": {"amount": 4500, "currency": "USD"},
            "failure_reason": "Your card was declined.",
        }
    ],
    "setup": SETUP,
}


def script_src(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    return next(d for d in policy.split("; ") if d.startswith("script-src"))


def test_the_card_link_page_loads_stripe_js_from_the_configured_origin_only_there(app, client, rpc):
    app.config["STRIPE_JS_URL"] = "http://127.0.0.1:8420/js.stripe.com/v3/"
    rpc.answers[("billing", "open_card_link")] = lambda token: PAGE
    page = client.get("/pay/card?token=t")
    assert page.status_code == 200
    assert script_src(page) == "script-src 'self' http://127.0.0.1:8420"
    html = page.get_data(as_text=True)
    assert 'src="http://127.0.0.1:8420/js.stripe.com/v3/"' in html
    assert 'data-client-secret="seti_1_secret_x"' in html and "Your card was declined." in html
    assert script_src(client.get("/login")) == "script-src 'self'"


def test_production_trusts_js_stripe_com(app, client, rpc):
    app.config["STRIPE_JS_URL"] = "https://js.stripe.com/v3/"
    rpc.answers[("billing", "open_card_link")] = lambda token: PAGE
    policy = client.get("/pay/card?token=t").headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy
    assert "connect-src 'self' https://js.stripe.com https://api.stripe.com" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com" in policy


def test_the_card_pages_share_one_stripe_policy_and_are_never_cached(app, client, rpc):
    app.config["STRIPE_JS_URL"] = "https://js.stripe.com/v3/"
    rpc.answers[("billing", "open_card_link")] = lambda token: PAGE
    rpc.answers[("billing", "get_customer_funding_request")] = lambda token: {
        "client_name": "Globex",
        "starting_balance": {"amount": 2500, "currency": "USD"},
        "message": "",
    }
    rpc.answers[("billing", "start_customer_funding_card")] = lambda token: SETUP
    card_link, fund = client.get("/pay/card?token=t"), client.get("/fund?token=t")
    assert fund.status_code == 200
    assert 'name="amount" type="text" value="25.00"' in fund.get_data(as_text=True)
    assert fund.headers["Content-Security-Policy"] == card_link.headers["Content-Security-Policy"]
    assert (
        "frame-src https://js.stripe.com https://hooks.stripe.com"
        in fund.headers["Content-Security-Policy"]
    )
    for page in (card_link, fund):
        assert page.headers["Cache-Control"] == "no-store"
        assert page.get_data(as_text=True).count('src="https://js.stripe.com/v3/"') == 1


def test_forged_used_and_expired_links_are_clear_pages(client, rpc):
    refusals = {
        "forged": (NotFound("This link is not valid."), 404, "not valid"),
        "used": (ValidationError("used", {"token": "used"}), 410, "already used"),
        "expired": (ValidationError("expired", {"token": "expired"}), 410, "expired"),
    }
    for token, (error, status, words) in refusals.items():

        def refuse(_token, error=error):
            raise error

        rpc.answers[("billing", "open_card_link")] = refuse
        page = client.get(f"/pay/card?token={token}")
        assert page.status_code == status
        assert words in page.get_data(as_text=True)
        assert "Nothing was changed" in page.get_data(as_text=True)
    assert "billing.finish_card_link" not in rpc.methods()


CLIENT_ID = "00000000-0000-0000-0000-0000000000d4"


def team_headers(rpc, *held: str) -> dict:
    owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
    principal = {**owner, "permissions": list(held)}
    rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
    return {"Authorization": "Bearer someone"}


def test_the_team_saves_a_clients_card_with_stripe_js_with_manage_billing_only(app, client, rpc):
    app.config["WTF_CSRF_ENABLED"] = False
    app.config["STRIPE_JS_URL"] = "http://127.0.0.1:8420/js.stripe.com/v3/"
    rpc.answers[("clients", "get_client")] = lambda client_id: {"id": client_id, "name": "Globex"}
    rpc.answers[("billing", "start_card_setup")] = lambda client_id: SETUP
    on_file = {"client_id": CLIENT_ID, "card_payments": True, "card": None}
    rpc.answers[("billing", "get_card")] = lambda client_id: on_file
    saved = []
    rpc.answers[("billing", "save_card")] = lambda *a: (
        saved.append(a)
        or {
            "client_id": CLIENT_ID,
            "card": "Visa •••• 4242",
        }
    )
    path = f"/clients/{CLIENT_ID}/card"
    refused = client.get(path, headers=team_headers(rpc, "view_billing", "view_clients"))
    assert refused.status_code == 403
    assert not [m for m in rpc.methods() if m.startswith("billing.")]
    page = client.get(path, headers=team_headers(rpc, "manage_billing", "view_clients"))
    assert page.status_code == 200
    assert script_src(page) == "script-src 'self' http://127.0.0.1:8420"
    html = page.get_data(as_text=True)
    assert 'src="http://127.0.0.1:8420/js.stripe.com/v3/"' in html
    assert 'data-client-secret="seti_1_secret_x"' in html
    answer = client.post(
        path, data={"setup_intent_id": "seti_1"}, headers=team_headers(rpc, "manage_billing")
    )
    assert saved == [(CLIENT_ID, "seti_1")]
    assert "Visa •••• 4242" in answer.get_data(as_text=True)
    assert 'data-test="saved-card"' not in html  # none saved when the page first opened
    on_file["card"] = "Visa •••• 4242"  # and any later visit shows the card billing keeps
    again = client.get(path, headers=team_headers(rpc, "manage_billing", "view_clients"))
    assert "Visa •••• 4242" in again.get_data(as_text=True)


def test_a_clients_card_page_says_the_agencys_stripe_key_was_refused(client, rpc):
    rpc.answers[("clients", "get_client")] = lambda client_id: {"id": client_id, "name": "Globex"}
    on_file = {"client_id": CLIENT_ID, "card_payments": True, "card": "visa ending 4242"}
    rpc.answers[("billing", "get_card")] = lambda client_id: on_file

    def refused(client_id):
        raise StripeKeyRefused("Stripe refused the agency's secret key: enter a new one.")

    rpc.answers[("billing", "start_card_setup")] = refused
    page = client.get(
        f"/clients/{CLIENT_ID}/card", headers=team_headers(rpc, "manage_billing", "view_clients")
    )
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-test="stripe-key-refused"' in html and 'data-test="no-card-payments"' not in html
    assert "Stripe refused the agency&#39;s secret key: enter a new one." in html
