"""The Services and Billing pages and Settings > Payments: each needs its permission (a 403 page
that calls no billing RPC otherwise), the navigation shows only what the role may open, and
amounts typed as dollars reach the billing service as integer minor units."""

from __future__ import annotations

import pytest

from gateway.api import billing_schemas
from gateway.web import billing_forms
from kit.errors import ServiceUnavailable, StripeKeyRefused, ValidationError
from kit.permissions import (
    MANAGE_BILLING,
    MANAGE_SERVICES,
    MANAGE_SETTINGS,
    VIEW_BILLING,
    VIEW_CLIENTS,
)

INVOICE = "00000000-0000-0000-0000-0000000000a7"
ASSIGNMENT = "00000000-0000-0000-0000-0000000000a8"
SERVICE = "00000000-0000-0000-0000-0000000000a9"
CLIENT = "00000000-0000-0000-0000-0000000000d4"
EMPTY = {"items": [], "total": 0, "page": 1, "per_page": 25}


@pytest.fixture
def as_role(rpc):
    """as_role(*permissions) -> headers of a team user holding exactly those permissions."""

    def make(*held: str) -> dict:
        owner = rpc.answers[("identity", "authenticate_api_token")]("owner-token")
        principal = {**owner, "permissions": list(held)}
        rpc.answers[("identity", "authenticate_api_token")] = lambda token: principal
        return {"Authorization": "Bearer someone"}

    return make


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.mark.parametrize(
    ("method", "path", "held"),
    [
        ("get", "/billing/", (VIEW_CLIENTS,)),
        ("get", f"/billing/invoices/{INVOICE}", (VIEW_CLIENTS, MANAGE_SERVICES)),
        ("get", f"/billing/invoices/{INVOICE}/pdf", (VIEW_CLIENTS,)),
        ("post", f"/billing/invoices/{INVOICE}/mark-paid", (VIEW_BILLING,)),
        ("post", f"/billing/invoices/{INVOICE}/void", (VIEW_BILLING, MANAGE_SERVICES)),
        ("get", "/services/", ()),
        ("post", "/services/catalog", (VIEW_BILLING, VIEW_CLIENTS)),
        ("get", "/services/assign", (VIEW_BILLING, VIEW_CLIENTS)),
        ("post", f"/services/catalog/{SERVICE}/archive", (VIEW_BILLING,)),
        ("post", f"/services/assignments/{ASSIGNMENT}/end", (VIEW_BILLING,)),
        ("post", f"/services/assignments/{ASSIGNMENT}/delete", (VIEW_CLIENTS,)),
        ("post", f"/services/assignments/{ASSIGNMENT}/time-notes", (VIEW_BILLING,)),
        ("get", "/services/charge", (VIEW_BILLING, MANAGE_SERVICES)),
        ("post", f"/services/clients/{CLIENT}/available", (VIEW_CLIENTS, VIEW_BILLING)),
        ("get", "/settings/payments", (VIEW_BILLING, MANAGE_BILLING)),
    ],
)
def test_billing_pages_refuse_a_role_without_their_permission(
    client, rpc, as_role, no_csrf, method, path, held
):
    response = getattr(client, method)(path, headers=as_role(*held), data={})
    assert response.status_code == 403
    assert b"Your role does not allow this" in response.data
    assert not [m for m in rpc.methods() if m.startswith("billing.")]


def test_navigation_shows_services_and_billing_only_to_roles_that_may_open_them(
    client, rpc, as_role
):
    page = client.get("/settings/", headers=as_role("view_reports")).data.decode()
    assert 'href="/services/"' not in page and 'href="/billing/"' not in page
    page = client.get("/settings/", headers=as_role(VIEW_CLIENTS)).data.decode()
    assert 'href="/services/"' in page and 'href="/billing/"' not in page
    page = client.get("/settings/", headers=as_role(VIEW_BILLING)).data.decode()
    assert 'href="/services/"' in page and 'href="/billing/"' in page


def test_a_viewer_sees_invoices_without_the_mark_paid_and_void_actions(client, rpc, as_role):
    invoice = {
        "id": INVOICE,
        "number": 7,
        "issued_on": "2026-03-01",
        "due_on": "2026-03-15",
        "client": {"id": CLIENT, "name": "Globex"},
        "payment_method": "check",
        "total": {"amount": 125050, "currency": "USD"},
        "status": "open",
        "failure_reason": None,
        "paid_method": None,
        "paid_reference": None,
    }
    listed = {**EMPTY, "items": [invoice], "total": 1}
    rpc.answers[("billing", "list_invoices")] = lambda **k: listed
    page = client.get("/billing/", headers=as_role(VIEW_BILLING)).data.decode()
    assert "1,250.50 USD" in page and "Globex" in page
    assert 'data-test="mark-paid"' not in page and 'data-test="void"' not in page
    page = client.get("/billing/", headers=as_role(VIEW_BILLING, MANAGE_BILLING)).data.decode()
    assert 'data-test="mark-paid"' in page and 'data-test="void"' in page


def test_a_rate_typed_in_dollars_is_sent_in_cents_and_a_word_is_a_field_error(
    client, rpc, as_role, no_csrf
):
    headers = as_role(MANAGE_SERVICES, VIEW_CLIENTS)
    rpc.answers[("billing", "list_services")] = lambda **k: EMPTY
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    rpc.answers[("clients", "client_names")] = lambda: []
    sent = {}

    def assign_service(**body):
        sent.update(body)
        return {"id": ASSIGNMENT, "service": {"name": "SEO"}, "client": {"name": "Globex"}}

    rpc.answers[("billing", "assign_service")] = assign_service
    form = {
        "service_id": SERVICE,
        "client_id": CLIENT,
        "payment_method": "check",
        "billing_type": "recurring_in_advance",
        "start_date": "2026-03-01",
        "end_date": "",
        "rate": "1,250.50",
        "note": "",
    }
    refused = client.post("/services/assign", data={**form, "rate": "lots"}, headers=headers)
    assert refused.status_code == 422
    assert "Enter an amount like 12.50." in refused.data.decode()
    assert "billing.assign_service" not in rpc.methods()

    done = client.post("/services/assign", data=form, headers=headers)
    assert done.status_code == 302
    assert done.headers["Location"] == f"/services/assignments/{ASSIGNMENT}"
    assert sent["rate"] == 125050 and sent["billing_type"] == "recurring_in_advance"
    assert "end_date" not in sent and "note" not in sent


def test_card_is_offered_only_when_the_agency_has_stripe_keys(client, rpc, as_role):
    headers = as_role(MANAGE_SERVICES, VIEW_BILLING, VIEW_CLIENTS)
    rpc.answers[("billing", "list_services")] = lambda **k: EMPTY
    rpc.answers[("clients", "client_names")] = lambda: []
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    page = client.get("/services/assign", headers=headers).data.decode()
    assert 'value="card"' not in page and "Card payment is not offered" in page
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": True}
    page = client.get("/services/assign", headers=headers).data.decode()
    assert 'value="card"' in page


def test_stripe_refusing_the_secret_key_is_said_under_the_box(client, rpc, as_role, no_csrf):
    headers = as_role(MANAGE_SETTINGS)
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    rpc.answers[("billing", "get_billing_settings")] = lambda: {"inactive_after_failed_days": None}

    def refuse(**body):
        raise ValidationError("Stripe refused this secret key.", {"secret_key": "refused"})

    rpc.answers[("billing", "set_stripe_keys")] = refuse
    answer = client.post(
        "/settings/payments",
        data={"publishable_key": "pk_test_1", "secret_key": "sk_test_bad", "retry_days": ""},
        headers=headers,
    )
    assert answer.status_code == 422
    page = answer.data.decode()
    assert '<div class="invalid-feedback">Stripe refused this secret key.</div>' in page
    assert "sk_test_bad" not in page  # a secret is never shown back
    assert "card payment is not offered" in page


def test_stripe_unreachable_is_the_try_again_page(client, rpc, as_role, no_csrf):
    headers = as_role(MANAGE_SETTINGS)
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    rpc.answers[("billing", "get_billing_settings")] = lambda: {"inactive_after_failed_days": None}

    def unreachable(**body):
        raise ServiceUnavailable("Stripe could not be reached: APIConnectionError.")

    rpc.answers[("billing", "set_stripe_keys")] = unreachable
    answer = client.post(
        "/settings/payments",
        data={"publishable_key": "pk_test_1", "secret_key": "sk_test_1"},
        headers=headers,
    )
    assert answer.status_code == 503
    assert "Please try again in a moment." in answer.data.decode()
    assert "sk_test_1" not in answer.data.decode()


def test_a_refused_date_filter_is_said_under_its_box(client, rpc, as_role):
    def refuse(**filters):
        if filters.get("date_from"):
            raise ValidationError("date_from is not a date.", {"date_from": "Use a date."})
        return EMPTY

    rpc.answers[("billing", "list_invoices")] = refuse
    answer = client.get("/billing/?date_from=yesterday", headers=as_role(VIEW_BILLING))
    assert answer.status_code == 422
    assert "date_from is not a date." in answer.data.decode()


def test_the_pages_have_words_for_every_code_the_api_offers():
    pairs = [
        (billing_forms.BILLING_TYPES, billing_schemas.BILLING_TYPES),
        (billing_forms.ASSIGNMENT_STATUSES, billing_schemas.ASSIGNMENT_STATUSES),
        (billing_forms.INVOICE_TABS, billing_schemas.INVOICE_STATUSES),
        (billing_forms.PAID_METHODS, billing_schemas.PAID_METHODS),
        (billing_forms.PAYMENT_METHODS, billing_schemas.PAYMENT_METHODS),
    ]
    for words, offered in pairs:
        assert set(words) == set(offered.choices)


def test_the_client_select_offers_every_client_from_one_call(client, rpc, as_role):
    everyone = [{"id": f"c-{n}", "name": f"Client {n:04d}"} for n in range(1_500)]
    rpc.answers[("clients", "client_names")] = lambda: everyone
    rpc.answers[("billing", "list_services")] = lambda **k: EMPTY
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    page = client.get("/services/assign", headers=as_role(MANAGE_SERVICES, VIEW_CLIENTS))
    assert 'value="c-1499"' in page.data.decode() and 'value="c-0"' in page.data.decode()
    # the navigation's badge, and the select's one call
    assert sorted(m for m in rpc.methods() if m.startswith("clients.")) == [
        "clients.client_names",
        "clients.count_requests",
    ]


def test_the_overdue_rule_is_shown_saved_as_days_and_cleared_when_left_empty(
    client, rpc, as_role, no_csrf
):
    headers = as_role(MANAGE_SETTINGS)
    rpc.answers[("billing", "get_stripe_account")] = lambda: {"connected": False}
    rpc.answers[("billing", "get_billing_settings")] = lambda: {"inactive_after_failed_days": 30}
    saved = []
    rpc.answers[("billing", "set_billing_settings")] = lambda **k: saved.append(k) or k
    page = client.get("/settings/payments", headers=headers).data.decode()
    assert 'name="inactive_after_failed_days" type="number" value="30"' in page
    answer = client.post(
        "/settings/payments/overdue", data={"inactive_after_failed_days": "14"}, headers=headers
    )
    assert answer.status_code == 302
    answer = client.post(
        "/settings/payments/overdue", data={"inactive_after_failed_days": ""}, headers=headers
    )
    assert answer.status_code == 302
    assert saved == [{"inactive_after_failed_days": 14}, {"inactive_after_failed_days": None}]
    answer = client.post(
        "/settings/payments/overdue", data={"inactive_after_failed_days": "0"}, headers=headers
    )
    assert answer.status_code == 422 and len(saved) == 2
    assert "Enter a number of days from 1 to 365." in answer.data.decode()


def test_the_overdue_rule_needs_manage_settings(client, rpc, as_role, no_csrf):
    answer = client.post(
        "/settings/payments/overdue",
        data={"inactive_after_failed_days": "14"},
        headers=as_role(MANAGE_BILLING, VIEW_BILLING),
    )
    assert answer.status_code == 403
    assert not [m for m in rpc.methods() if m.startswith("billing.")]


PAID = {
    "id": INVOICE,
    "number": 7,
    "issued_on": "2026-03-01",
    "due_on": "2026-03-15",
    "created_at": "2026-03-01T00:00:00+00:00",
    "client": {"id": CLIENT, "name": "Globex"},
    "payment_method": "card",
    "lines": [],
    "subtotal": {"amount": 125050, "currency": "USD"},
    "total": {"amount": 125050, "currency": "USD"},
    "status": "paid",
    "failure_reason": None,
    "paid_at": "2026-03-02T00:00:00+00:00",
    "paid_method": "card",
    "paid_reference": "pi_1",
}
REFUND = {
    "id": "r-1",
    "invoice_id": INVOICE,
    "number": 7,
    "amount": {"amount": 25050, "currency": "USD"},
    "reason": "Two days of outage",
    "method": "stripe",
    "status": "succeeded",
    "failure_reason": None,
    "created_at": "2026-03-03T00:00:00+00:00",
}


@pytest.fixture
def paid_invoice(rpc):
    rpc.answers[("billing", "get_invoice")] = lambda invoice_id: PAID
    rpc.answers[("billing", "list_refunds")] = lambda invoice_id: [REFUND]


def test_a_paid_invoice_lists_its_refunds_and_offers_what_is_left_to_managers_only(
    client, rpc, as_role, paid_invoice
):
    page = client.get(f"/billing/invoices/{INVOICE}", headers=as_role(VIEW_BILLING)).data.decode()
    assert 'data-test="refund"' in page and "Two days of outage" in page
    assert 'data-test="refund-form"' not in page
    headers = as_role(VIEW_BILLING, MANAGE_BILLING)
    page = client.get(f"/billing/invoices/{INVOICE}", headers=headers).data.decode()
    assert 'data-test="refund-form"' in page and "data-confirm=" in page
    assert 'name="amount" type="text" value="1000.00"' in page  # 1,250.50 less 250.50


def test_a_refund_typed_in_dollars_is_sent_in_cents_and_a_refusal_is_under_the_box(
    client, rpc, as_role, paid_invoice, no_csrf
):
    headers = as_role(VIEW_BILLING, MANAGE_BILLING)
    sent = []
    rpc.answers[("billing", "refund_invoice")] = lambda *a: sent.append(a) or REFUND
    path = f"/billing/invoices/{INVOICE}/refund"
    answer = client.post(path, data={"amount": "250.50", "reason": "Outage"}, headers=headers)
    assert answer.status_code == 302 and sent == [(INVOICE, 25050, "Outage")]
    answer = client.post(path, data={"amount": "", "reason": ""}, headers=headers)
    assert answer.status_code == 302 and sent[1] == (INVOICE, None, None)  # all that is left
    answer = client.post(path, data={"amount": "ten"}, headers=headers)
    assert answer.status_code == 422 and len(sent) == 2

    def too_much(*a):
        raise ValidationError("At most 1,000.00 USD is left to refund.", {"amount": "too much"})

    rpc.answers[("billing", "refund_invoice")] = too_much
    answer = client.post(path, data={"amount": "5000"}, headers=headers)
    assert answer.status_code == 422
    assert (
        '<div class="invalid-feedback">At most 1,000.00 USD is left to refund.</div>'
        in answer.data.decode()
    )
    refused = client.post(path, data={"amount": "1"}, headers=as_role(VIEW_BILLING))
    assert refused.status_code == 403


def test_a_refused_stripe_key_is_said_on_settings_payments_until_a_new_one_is_saved(
    client, rpc, as_role, no_csrf
):
    headers = as_role(MANAGE_SETTINGS)
    account = {
        "connected": True,
        "publishable_key": "pk_test_1",
        "secret_key_last4": "1234",
        "has_webhook_secret": False,
        "retry_days": [3, 7],
        "checked_at": "2026-11-29T09:00:00+00:00",
        "key_refused_at": "2026-11-29T12:00:00+00:00",
    }
    rpc.answers[("billing", "get_stripe_account")] = lambda: account
    rpc.answers[("billing", "get_billing_settings")] = lambda: {"inactive_after_failed_days": None}
    page = client.get("/settings/payments", headers=headers).data.decode()
    assert 'data-test="stripe-key-refused"' in page and 'data-test="stripe-connected"' not in page
    assert "Stripe refused your key: enter a new one." in page
    assert "your clients are not asked for a new card" in page

    def save(**body):
        account["key_refused_at"] = None
        return account

    rpc.answers[("billing", "set_stripe_keys")] = save
    keys = {"publishable_key": "pk_test_1", "secret_key": "sk_test_new", "retry_days": ""}
    assert client.post("/settings/payments", data=keys, headers=headers).status_code == 302
    page = client.get("/settings/payments", headers=headers).data.decode()
    assert "Stripe refused your key" not in page and 'data-test="stripe-connected"' in page


def test_a_refused_stripe_key_is_a_409_with_its_own_code_not_a_503(client, rpc, as_role):
    def refused(*args):
        raise StripeKeyRefused(
            "Stripe refused the agency's secret key: card payments and refunds wait until a new "
            "key is entered in Settings > Payments.",
            {"secret_key": "refused by Stripe: enter a new one in Settings > Payments"},
        )

    rpc.answers[("billing", "refund_invoice")] = refused
    answer = client.post(
        f"/api/v1/invoices/{INVOICE}/refund", json={"amount": 100}, headers=as_role(MANAGE_BILLING)
    )
    assert answer.status_code == 409
    error = answer.get_json()["error"]
    assert error["code"] == "stripe_key_refused" and "Settings > Payments" in error["message"]
    assert error["fields"] == {
        "secret_key": "refused by Stripe: enter a new one in Settings > Payments"
    }
    assert "Retry-After" not in answer.headers
