"""The billing API through the running system: the catalog, assignments, time entries, billing
runs, invoices, tenant isolation, permissions, bad input, and card payments against localstripe
with the real `stripe` SDK."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.api import ApiClient, assert_error
from tests.support.cards import DECLINING_CARD, GOOD_CARD, confirm_card
from tests.support.clients import team_member

pytestmark = pytest.mark.e2e

SECRET = "sk_test_e2e_agency_secret_4321"
# The agencies of these tests keep the default time zone (UTC): "today" is UTC's.
TODAY = datetime.now(UTC).date()


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def billable_client(owner: ApiClient, **fields) -> dict:
    """A new client, billed at once: billing asks the clients service about a client whose
    `client_created` event has not reached it yet."""
    return owner.post("/clients", json={"name": unique("Client"), **fields}, expect=201).json()


def make_service(owner: ApiClient) -> dict:
    return owner.post("/services", json={"name": unique("Retainer")}, expect=201).json()


def assign(owner: ApiClient, client: dict, service: dict, **terms) -> dict:
    body = {
        "service_id": service["id"],
        "client_id": client["id"],
        "payment_method": "check",
        "billing_type": "one_time",
        "start_date": TODAY.isoformat(),
        "rate": 12500,
        **terms,
    }
    return owner.post("/assignments", json=body, expect=201).json()


def run_billing(owner: ApiClient) -> dict:
    return owner.post("/billing/runs", json={"as_of": TODAY.isoformat()}, expect=200).json()


def issued_invoice(owner: ApiClient, rate: int = 12500) -> tuple[dict, dict]:
    """(client, its open check invoice) from a one-time assignment and a run."""
    client, service = billable_client(owner), make_service(owner)
    assign(owner, client, service, rate=rate)
    run_billing(owner)
    page = owner.get("/invoices", params={"client_id": client["id"]}, expect=200).json()
    assert page["total"] == 1, page
    return client, page["items"][0]


# --- the catalog, assignments and invoices ----------------------------------------------------


def test_a_service_assigned_and_billed_is_invoiced_then_paid(new_agency):
    owner = new_agency()
    client, service = billable_client(owner), make_service(owner)
    listed = owner.get("/services", expect=200).json()
    assert [s["id"] for s in listed["items"]] == [service["id"]]
    assert {"items", "total", "page", "per_page"} <= set(listed)
    renamed = owner.patch(f"/services/{service['id']}", json={"description": "Monthly care"})
    assert renamed.json()["description"] == "Monthly care"

    assignment = assign(owner, client, service, note="Setup fee")
    assert assignment["status"] == "active"
    assert assignment["rate"] == {"amount": 12500, "currency": "USD"}
    by_client = owner.get("/assignments", params={"client_id": client["id"]}, expect=200).json()
    assert [a["id"] for a in by_client["items"]] == [assignment["id"]]
    assert owner.get("/assignments", params={"status": "ended"}, expect=200).json()["total"] == 0

    run = run_billing(owner)
    assert run["issued"] == 1 and run["numbers"] == [1, 1]
    assert run_billing(owner)["issued"] == 0  # a run repeated issues nothing new
    open_ = owner.get("/invoices", params={"status": "open"}, expect=200).json()
    invoice = owner.get(f"/invoices/{open_['items'][0]['id']}", expect=200).json()
    assert invoice["number"] == 1 and invoice["client"]["id"] == client["id"]
    assert invoice["total"] == {"amount": 12500, "currency": "USD"}
    assert [line["service_name"] for line in invoice["lines"]] == [service["name"]]
    kinds = owner.get(f"/assignments/{assignment['id']}/activities", expect=200).json()
    assert [a["kind"] for a in kinds["items"]] == ["assigned", "invoiced"]

    paid = owner.post(
        f"/invoices/{invoice['id']}/mark-paid",
        json={"method": "check", "reference": "CHK-1001"},
        expect=200,
    ).json()
    assert (paid["status"], paid["paid_reference"]) == ("paid", "CHK-1001")
    assert owner.get("/invoices", params={"status": "paid"}, expect=200).json()["total"] == 1
    again = owner.post(f"/invoices/{invoice['id']}/void")
    assert_error(again, 409)
    assert owner.get(f"/invoices/{invoice['id']}", expect=200).json()["status"] == "paid"


def test_an_integration_bills_a_client_in_the_same_breath_as_it_creates_it(new_agency):
    owner = new_agency()
    service = make_service(owner)
    for _ in range(5):
        client = owner.post("/clients", json={"name": unique("Client")}, expect=201).json()
        assign(owner, client, service, billing_type="recurring_in_advance")
        client = owner.post("/clients", json={"name": unique("Client")}, expect=201).json()
        body = {"client_id": client["id"], "service_id": service["id"], "amount": 4500}
        charged = owner.post("/charges", json=body, expect=201).json()
        assert charged["client"]["id"] == client["id"]
        client = owner.post("/clients", json={"name": unique("Client")}, expect=201).json()
        listed = owner.get("/invoices", params={"client_id": client["id"]}, expect=200).json()
        assert listed["total"] == 0
    assert owner.get("/assignments", expect=200).json()["total"] == 5
    assert owner.get("/invoices", expect=200).json()["total"] == 5
    assert_error(owner.get("/invoices", params={"client_id": str(uuid.uuid4())}), 404)


def test_void_charge_now_end_and_delete(new_agency):
    owner = new_agency()
    _, invoice = issued_invoice(owner)
    voided = owner.post(f"/invoices/{invoice['id']}/void", expect=200).json()
    assert voided["status"] == "void"

    client, service = billable_client(owner), make_service(owner)
    charged = owner.post(
        "/charges",
        json={"client_id": client["id"], "service_id": service["id"], "amount": 9900},
        expect=201,
    ).json()
    assert (charged["status"], charged["total"]["amount"]) == ("open", 9900)
    assert charged["issued_on"] == TODAY.isoformat()

    later = (TODAY + timedelta(days=10)).isoformat()
    future = assign(owner, client, service, start_date=later)
    assert future["status"] == "not_started"
    owner.delete(f"/assignments/{future['id']}", expect=204)
    owner.get(f"/assignments/{future['id']}", expect=404)

    monthly = assign(owner, client, service, billing_type="recurring_in_advance")
    ended = owner.post(
        f"/assignments/{monthly['id']}/end", json={"end_date": TODAY.isoformat()}, expect=200
    ).json()
    assert ended["status"] == "ending_today"
    assert_error(owner.delete(f"/assignments/{monthly['id']}"), 409)

    hourly = assign(owner, client, service, billing_type="hourly", rate=6000)
    note = owner.post(
        f"/assignments/{hourly['id']}/time-entries",
        json={"work_date": TODAY.isoformat(), "minutes": 90, "note": "Audit"},
        expect=201,
    ).json()
    entries = owner.get(f"/assignments/{hourly['id']}/time-entries", expect=200).json()
    assert [e["id"] for e in entries["items"]] == [note["id"]]


# --- bad input, isolation, permissions ----------------------------------------------------------


def test_bad_input_is_a_clear_4xx_that_changes_nothing(new_agency):
    owner = new_agency()
    client, service = billable_client(owner), make_service(owner)
    good = {
        "service_id": service["id"],
        "client_id": client["id"],
        "payment_method": "check",
        "billing_type": "recurring_in_advance",
        "start_date": TODAY.isoformat(),
        "rate": 5000,
    }
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    cases = {
        "rate": {**good, "rate": -5},
        "end_date": {**good, "end_date": yesterday},
        "client_id": {**good, "client_id": str(uuid.uuid4())},
        "start_date": {**good, "start_date": "31/12/2026"},
        "billing_type": {**good, "billing_type": "weekly"},
    }
    for field, body in cases.items():
        error = assert_error(owner.post("/assignments", json=body), 422)
        assert field in error["fields"], (field, error)
    assert_error(
        owner.post("/assignments", data="{", headers={"Content-Type": "application/json"}), 400
    )
    assert owner.get("/assignments", expect=200).json()["total"] == 0

    monthly = owner.post("/assignments", json=good, expect=201).json()
    note = {"work_date": TODAY.isoformat(), "minutes": 30}
    assert_error(owner.post(f"/assignments/{monthly['id']}/time-entries", json=note), 422)
    assert owner.get(f"/assignments/{monthly['id']}/time-entries").json()["total"] == 0

    charge = {"client_id": client["id"], "service_id": service["id"], "amount": "ten"}
    assert "amount" in assert_error(owner.post("/charges", json=charge), 422)["fields"]
    assert (
        "client_id"
        in assert_error(
            owner.post("/charges", json={**charge, "amount": 100, "client_id": "nope"}), 422
        )["fields"]
    )
    assert owner.get("/invoices", expect=200).json()["total"] == 0
    bad_method = owner.post(f"/invoices/{uuid.uuid4()}/mark-paid", json={"method": "barter"})
    assert "method" in assert_error(bad_method, 422)["fields"]
    assert_error(owner.post("/billing/runs", json={"as_of": "tomorrow"}), 422)


def test_another_agencys_ids_are_not_found_on_every_billing_endpoint(new_agency):
    owner, stranger = new_agency(), new_agency()
    client, invoice = issued_invoice(owner)
    assignment = owner.get("/assignments", expect=200).json()["items"][0]
    service_id = assignment["service"]["id"]
    mine = billable_client(stranger)
    today = TODAY.isoformat()
    for method, path, body in [
        ("GET", f"/services/{service_id}", None),
        ("PATCH", f"/services/{service_id}", {"name": "Taken"}),
        ("DELETE", f"/services/{service_id}", None),
        ("GET", f"/assignments/{assignment['id']}", None),
        ("DELETE", f"/assignments/{assignment['id']}", None),
        ("POST", f"/assignments/{assignment['id']}/end", {"end_date": today}),
        ("GET", f"/assignments/{assignment['id']}/activities", None),
        ("GET", f"/assignments/{assignment['id']}/time-entries", None),
        (
            "POST",
            f"/assignments/{assignment['id']}/time-entries",
            {"work_date": today, "minutes": 5},
        ),
        ("GET", "/assignments?client_id=" + client["id"], None),
        ("GET", "/invoices?client_id=" + client["id"], None),
        ("GET", f"/invoices/{invoice['id']}", None),
        ("POST", f"/invoices/{invoice['id']}/mark-paid", {"method": "cash"}),
        ("POST", f"/invoices/{invoice['id']}/void", None),
        ("POST", f"/clients/{client['id']}/payment-method", None),
        ("GET", f"/clients/{client['id']}/payment-method", None),
        ("PUT", f"/clients/{client['id']}/payment-method", {"setup_intent_id": "seti_x"}),
    ]:
        answer = stranger.request(method, path, json=body)
        assert answer.status_code == 404, (method, path, answer.text)
        assert_error(answer, 404, "not_found")
    # Their ids in a body are a field error, never theirs assigned or charged.
    stolen = {"client_id": client["id"], "service_id": service_id, "amount": 100}
    assert_error(stranger.post("/charges", json=stolen), 422)
    stolen_service = {**stolen, "client_id": mine["id"]}
    assert (
        "service_id" in assert_error(stranger.post("/charges", json=stolen_service), 422)["fields"]
    )
    assert owner.get(f"/invoices/{invoice['id']}", expect=200).json()["status"] == "open"
    assert owner.get(f"/services/{service_id}", expect=200).json()["status"] == "active"


def test_each_billing_permission_is_enforced(new_agency):
    owner = new_agency()
    _, invoice = issued_invoice(owner)
    service_id = owner.get("/services").json()["items"][0]["id"]
    member = team_member(owner, "Member")  # view_clients only
    manager = team_member(owner, "Manager")  # all but manage_users, manage_settings
    assert member.get("/assignments", expect=200).json()["total"] == 1
    for method, path, body in [
        ("POST", "/services", {"name": "Sneaky"}),
        ("PATCH", f"/services/{service_id}", {"name": "Sneaky"}),
        ("DELETE", f"/services/{service_id}", None),
        (
            "POST",
            "/charges",
            {"client_id": invoice["client"]["id"], "service_id": service_id, "amount": 1},
        ),
        ("POST", "/billing/runs", {"as_of": TODAY.isoformat()}),
        ("GET", "/invoices", None),
        ("GET", f"/invoices/{invoice['id']}", None),
        ("POST", f"/invoices/{invoice['id']}/mark-paid", {"method": "cash"}),
        ("POST", f"/invoices/{invoice['id']}/void", None),
        ("GET", "/agency/stripe", None),
    ]:
        assert_error(member.request(method, path, json=body), 403, "permission_denied")
    keys = {"publishable_key": "pk_test_x", "secret_key": SECRET}
    assert_error(manager.put("/agency/stripe", json=keys), 403, "permission_denied")
    assert_error(owner.anonymous().get("/services"), 401)
    assert owner.get(f"/invoices/{invoice['id']}", expect=200).json()["status"] == "open"
    assert owner.get("/services", expect=200).json()["total"] == 1


# --- card payments against localstripe -----------------------------------------------------------


def saved_card(owner: ApiClient, stripe_url: str, client: dict, number: str) -> None:
    """Save a card as the page's Stripe.js does: confirm the SetupIntent, then tell the gateway."""
    setup = owner.post(f"/clients/{client['id']}/payment-method", expect=200).json()
    assert setup["client_secret"] and setup["publishable_key"] == "pk_test_e2e"
    confirm_card(stripe_url, SECRET, setup, number)
    saved = owner.put(
        f"/clients/{client['id']}/payment-method",
        json={"setup_intent_id": setup["setup_intent_id"]},
        expect=200,
    ).json()
    assert saved["card"].endswith(number[-4:])
    on_file = owner.get(f"/clients/{client['id']}/payment-method", expect=200).json()
    assert on_file == {"client_id": client["id"], "card_payments": True, "card": saved["card"]}


def test_card_clients_are_charged_with_the_agencys_stripe_keys(new_agency, system):
    owner = new_agency()
    client, service = billable_client(owner), make_service(owner)
    no_keys = owner.post(f"/clients/{client['id']}/payment-method")
    assert_error(no_keys, 409, "conflict")
    none = owner.get(f"/clients/{client['id']}/payment-method", expect=200).json()
    assert (none["card_payments"], none["card"]) == (False, None)
    assert owner.get("/agency/stripe", expect=200).json()["connected"] is False

    keys = {"publishable_key": "pk_test_e2e", "secret_key": SECRET, "webhook_secret": "whsec_e2e"}
    account = owner.put("/agency/stripe", json=keys, expect=200).json()
    assert account["connected"] and account["secret_key_last4"] == SECRET[-4:]
    assert SECRET not in owner.get("/agency/stripe", expect=200).text

    saved_card(owner, system.stripe_url, client, GOOD_CARD)
    assign(owner, client, service, payment_method="card", rate=4500)
    run = run_billing(owner)
    assert run["issued"] == 1 and run["charged"].get("paid") == 1, run
    invoice = owner.get("/invoices", params={"client_id": client["id"]}).json()["items"][0]
    assert (invoice["status"], invoice["paid_method"]) == ("paid", "card")

    declining = billable_client(owner)
    saved_card(owner, system.stripe_url, declining, DECLINING_CARD)
    charge = {
        "client_id": declining["id"],
        "service_id": service["id"],
        "amount": 2000,
        "payment_method": "card",
    }
    failed = owner.post("/charges", json=charge, expect=201).json()
    assert failed["status"] == "failed" and failed["failure_reason"], failed

    forged = owner.anonymous().post(
        f"/webhooks/stripe/{owner.agency['id']}",
        data='{"id": "evt_1", "type": "payment_intent.succeeded"}',
        headers={"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=forged"},
    )
    assert_error(forged, 403)
    assert owner.get(f"/invoices/{failed['id']}", expect=200).json()["status"] == "failed"
