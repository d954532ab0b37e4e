"""The agency's own subscription to the platform through the running system: the trial's end
makes the agency read-only, subscribing (a card on the platform's Stripe account, localstripe)
opens it again, renewals charge the users active at renewal, upgrades are prorated, a declined
renewal is retried then makes the agency read-only, a cancel ends with the period, and deleting
the account leaves nothing of the agency in any database.

Time is moved by editing the dates the services keep (the trial's end in identity, the period in
billing), as a month passing would: renewals only run as of today."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
import stripe

from tests.support.api import ApiClient, assert_error
from tests.support.cards import DECLINING_CARD, GOOD_CARD, confirm_card
from tests.support.clients import team_member

pytestmark = pytest.mark.e2e

PLATFORM_SECRET = "sk_test_platform_local"  # billing's default, which localstripe takes
PRICES = {"starter": 1900, "growth": 2900, "agency": 4900}
TODAY = datetime.now(UTC).date()


def database(system, service: str) -> psycopg.Connection:
    url = system.database_urls[service].replace("postgresql+psycopg://", "postgresql://")
    return psycopg.connect(url, autocommit=True)


def execute(system, service: str, sql: str, *params) -> None:
    with database(system, service) as conn:
        conn.execute(sql, params)


def end_trial(system, owner: ApiClient) -> None:
    execute(
        system,
        "identity",
        "UPDATE agencies SET trial_ends_at = now() - interval '1 day' WHERE id = %s",
        owner.agency["id"],
    )
    gateway_cache_passes()


def gateway_cache_passes() -> None:
    """The gateway keeps who a token is (with its agency's read-only flag) for at most 1 s
    (`AUTH_CACHE_SECONDS`): a change made behind its back shows after that."""
    time.sleep(1.0)


def move_period_back(system, owner: ApiClient, days: int) -> None:
    """As if `days` had passed since the period started."""
    execute(
        system,
        "billing",
        "UPDATE platform_subscriptions SET current_period_start = current_period_start - %s,"
        " current_period_end = current_period_end - %s,"
        " next_retry_on = next_retry_on - %s WHERE agency_id = %s",
        days,
        days,
        days,
        owner.agency["id"],
    )


def confirmed_setup(owner: ApiClient, stripe_url: str, number: str = GOOD_CARD) -> str:
    """A SetupIntent on the platform's account confirmed as Stripe.js would: its id."""
    setup = owner.post("/agency/subscription/card-setup", expect=200).json()
    assert setup["client_secret"] and setup["publishable_key"]
    return confirm_card(stripe_url, PLATFORM_SECRET, setup, number)


def subscribe(owner: ApiClient, system, plan: str = "starter", number: str = GOOD_CARD) -> dict:
    setup = confirmed_setup(owner, system.stripe_url, number)
    body = {"plan": plan, "setup_intent_id": setup}
    return owner.post("/agency/subscription", json=body, expect=201).json()


def agency_becomes(owner: ApiClient, status: str, timeout: float = 20) -> dict:
    """Identity's view of the agency once it follows billing's event to `status`."""
    deadline = time.monotonic() + timeout
    while True:
        agency = owner.get("/agency", expect=200).json()
        if agency["subscription_status"] == status:
            gateway_cache_passes()
            return agency
        assert time.monotonic() < deadline, agency
        time.sleep(0.2)


def renew(owner: ApiClient) -> dict:
    body = {"as_of": TODAY.isoformat()}
    return owner.post("/agency/subscription/renewals", json=body, expect=200).json()


def invoices(owner: ApiClient) -> list[dict]:
    return owner.get("/agency/subscription/invoices", expect=200).json()["items"]


def staff_email_about(mailbox, owner: ApiClient, timeout: float = 15):
    """The onboarding request the platform's staff got from this owner (others ask too)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [
            m
            for m in mailbox.find("onboarding@agency.local", "onboarding specialist requested")
            if owner.email in m.text
        ]
        if found:
            return found[0]
        assert time.monotonic() < deadline, "no onboarding request reached the staff"
        time.sleep(0.2)


def new_client(owner: ApiClient, expect: int = 201):
    return owner.post("/clients", json={"name": f"Client {uuid.uuid4().hex[:8]}"}, expect=expect)


# --- the trial's end and subscribing ------------------------------------------------------------


def test_after_the_trial_the_agency_reads_but_cannot_change_until_it_subscribes(
    new_agency, system, mailbox
):
    owner = new_agency()
    client = new_client(owner).json()
    assert owner.get("/agency/subscription", expect=200).json()["status"] == "none"

    end_trial(system, owner)
    agency = owner.get("/agency", expect=200).json()
    assert (agency["subscription_status"], agency["read_only"]) == ("trial_ended", True)
    assert owner.get(f"/clients/{client['id']}", expect=200).json()["name"] == client["name"]
    refused = assert_error(
        owner.post("/clients", json={"name": "Not now"}), 402, "subscription_required"
    )
    assert "Subscribe" in refused["message"]
    assert_error(owner.patch(f"/clients/{client['id']}", json={"name": "X y"}), 402)
    assert owner.get("/clients", expect=200).json()["total"] == 1

    # Asking for an onboarding specialist is one of the ways out: the platform's staff hear.
    owner.post("/agency/onboarding", json={"message": "Help us choose"}, expect=202)
    staff = staff_email_about(mailbox, owner)
    assert "Help us choose" in staff.text

    subscription = subscribe(owner, system, plan="starter")
    assert subscription["status"] == "active" and subscription["plan"]["code"] == "starter"
    assert subscription["card"].endswith("4242")
    agency = agency_becomes(owner, "active")
    assert agency["read_only"] is False and agency["plan"]["code"] == "starter"
    new_client(owner)

    (invoice,) = invoices(owner)
    assert (invoice["kind"], invoice["status"], invoice["users"]) == ("subscription", "paid", 1)
    assert invoice["amount"] == {"amount": PRICES["starter"], "currency": "USD"}
    pdf = owner.get(f"/agency/subscription/invoices/{invoice['id']}/pdf", expect=200)
    assert pdf.headers["Content-Type"] == "application/pdf" and pdf.content[:5] == b"%PDF-"
    assert mailbox.wait_for(owner.email, "your subscription has started")
    assert_error(
        owner.post(
            "/agency/subscription",
            json={"plan": "growth", "setup_intent_id": "seti_x"},
        ),
        409,
        "conflict",
    )


def test_a_renewal_charges_the_users_active_at_renewal(new_agency, system, mailbox):
    owner = new_agency()
    subscribe(owner, system, plan="growth")
    assert renew(owner)["outcome"] == "not_due"

    # Between renewals: two people join, one of them leaves again. Nothing is charged for it.
    stays, leaves = team_member(owner), team_member(owner)
    assert stays.get("/me", expect=200)
    owner.post(f"/users/{leaves.get('/me').json()['user']['principal_id']}/deactivate", expect=200)
    assert len(invoices(owner)) == 1

    move_period_back(system, owner, 30)
    renewal = renew(owner)
    assert renewal["outcome"] == "renewed", renewal
    assert renewal["subscription"]["current_period_start"] == TODAY.isoformat()
    latest = invoices(owner)[0]
    assert (latest["kind"], latest["status"], latest["users"]) == ("renewal", "paid", 2)
    assert latest["amount"]["amount"] == 2 * PRICES["growth"]
    assert renew(owner)["outcome"] == "not_due"  # the same day again charges nothing
    assert len(invoices(owner)) == 2
    assert mailbox.wait_for(owner.email, "your subscription renewed")


def test_an_upgrade_charges_the_rest_of_the_period_at_once(new_agency, system):
    owner = new_agency()
    team_member(owner)  # two active users
    subscribe(owner, system, plan="starter")
    move_period_back(system, owner, 20)  # ten days left

    upgraded = owner.post(
        "/agency/subscription/upgrade", json={"plan": "growth"}, expect=200
    ).json()
    assert upgraded["plan"]["code"] == "growth"
    latest = invoices(owner)[0]
    # (29.00 - 19.00) x 2 users x 10 / 30 days = 6.67
    assert (latest["kind"], latest["days"], latest["users"]) == ("upgrade", 10, 2)
    assert latest["amount"]["amount"] == 667 and latest["status"] == "paid"
    assert agency_becomes(owner, "active")["plan"]["code"] in ("starter", "growth")
    deadline = time.monotonic() + 20
    while owner.get("/agency").json()["plan"]["code"] != "growth":
        assert time.monotonic() < deadline
        time.sleep(0.2)

    cheaper = owner.post("/agency/subscription/upgrade", json={"plan": "starter"})
    assert_error(cheaper, 422, "validation_error")
    assert_error(owner.post("/agency/subscription/upgrade", json={"plan": "gold"}), 422)
    assert len(invoices(owner)) == 2


def test_a_declined_renewal_is_retried_then_the_agency_is_read_only(new_agency, system, mailbox):
    owner = new_agency()
    subscribe(owner, system, plan="starter")
    setup = confirmed_setup(owner, system.stripe_url, DECLINING_CARD)
    owner.put("/agency/subscription/card", json={"setup_intent_id": setup}, expect=200)

    # The period ended 10 days ago: each retry day (1, 3, 5 after it) is due by today.
    move_period_back(system, owner, 40)
    first = renew(owner)
    assert first["outcome"] == "failed", first
    assert first["subscription"]["status"] == "past_due"
    assert first["subscription"]["next_retry_on"] == (TODAY - timedelta(days=9)).isoformat()
    agency = agency_becomes(owner, "past_due")
    assert agency["read_only"] is False
    new_client(owner)  # still allowed while the card is retried
    assert mailbox.wait_for(owner.email, "your subscription payment failed")

    assert renew(owner)["outcome"] == "failed"
    assert renew(owner)["outcome"] == "failed"
    last = renew(owner)
    assert last["outcome"] == "unpaid" and last["subscription"]["status"] == "unpaid"
    assert agency_becomes(owner, "unpaid")["read_only"] is True
    assert_error(owner.post("/clients", json={"name": "Refused"}), 402, "subscription_required")
    assert mailbox.wait_for(owner.email, "could not be renewed")
    renewal = invoices(owner)[0]
    assert (renewal["kind"], renewal["status"]) == ("renewal", "failed")

    # Subscribing again with a working card: the unpaid renewal is void, a new period starts.
    subscribe(owner, system, plan="starter")
    agency_becomes(owner, "active")
    new_client(owner)
    assert [i["status"] for i in invoices(owner)][:2] == ["paid", "void"]


def test_a_canceled_subscription_lasts_until_the_period_ends(new_agency, system, mailbox):
    owner = new_agency()
    subscribe(owner, system)
    canceled = owner.post("/agency/subscription/cancel", expect=200).json()
    assert canceled["cancel_at_period_end"] is True and canceled["status"] == "active"
    assert mailbox.wait_for(owner.email, "your subscription is canceled")
    new_client(owner)  # full access until the period's end

    move_period_back(system, owner, 30)
    assert renew(owner)["outcome"] == "ended"
    assert len(invoices(owner)) == 1  # nothing more was charged
    assert agency_becomes(owner, "canceled")["read_only"] is True
    assert_error(owner.post("/clients", json={"name": "Refused"}), 402, "subscription_required")
    assert_error(owner.post("/agency/subscription/cancel"), 409)


# --- permissions and tenancy --------------------------------------------------------------------


def test_only_settings_managers_change_the_subscription_and_ids_stay_in_their_agency(
    new_agency, system
):
    owner, other = new_agency(), new_agency()
    subscribe(other, system)
    foreign = invoices(other)[0]["id"]
    member = team_member(owner)
    for method, path, body in (
        ("POST", "/agency/subscription/card-setup", None),
        ("POST", "/agency/subscription", {"plan": "starter", "setup_intent_id": "seti_x"}),
        ("POST", "/agency/subscription/upgrade", {"plan": "agency"}),
        ("POST", "/agency/subscription/cancel", None),
        ("POST", "/agency/subscription/renewals", {"as_of": TODAY.isoformat()}),
    ):
        assert_error(member.request(method, path, json=body), 403, "permission_denied")
    assert_error(member.post("/agency/delete", json={"password": member.password}), 403)
    assert_error(member.get("/agency/subscription/invoices"), 403)
    for path in (f"/agency/subscription/invoices/{foreign}", f"{foreign}/pdf", "x/pdf"):
        full = path if path.startswith("/") else f"/agency/subscription/invoices/{path}"
        assert_error(owner.get(full), 404, "not_found")

    not_confirmed = owner.post("/agency/subscription/card-setup", expect=200).json()
    unconfirmed = {"plan": "starter", "setup_intent_id": not_confirmed["setup_intent_id"]}
    assert_error(owner.post("/agency/subscription", json=unconfirmed), 422, "validation_error")
    theirs = {"plan": "starter", "setup_intent_id": confirmed_setup(other, system.stripe_url)}
    assert_error(owner.post("/agency/subscription", json=theirs), 422)
    good = {"plan": "platinum", "setup_intent_id": confirmed_setup(owner, system.stripe_url)}
    assert_error(owner.post("/agency/subscription", json=good), 422)
    ahead = {"as_of": (TODAY + timedelta(days=2)).isoformat()}
    assert_error(owner.post("/agency/subscription/renewals", json=ahead), 422)
    assert owner.get("/agency/subscription", expect=200).json()["status"] == "none"
    assert invoices(owner) == []


# --- deleting the account -----------------------------------------------------------------------


def agency_rows(system, agency_id: str) -> dict[str, int]:
    """Rows naming the agency in every table with an agency_id column, in every database."""
    found = {}
    for service in system.database_urls:
        with database(system, service) as conn:
            tables = conn.execute(
                "SELECT table_name FROM information_schema.columns"
                " WHERE table_schema = 'public' AND column_name = 'agency_id'"
            ).fetchall()
            for (table,) in tables:
                count = conn.execute(
                    f'SELECT count(*) FROM "{table}" WHERE agency_id = %s', (agency_id,)
                ).fetchone()[0]
                if count:
                    found[f"{service}.{table}"] = count
            if service == "identity":
                count = conn.execute(
                    "SELECT count(*) FROM agencies WHERE id = %s", (agency_id,)
                ).fetchone()[0]
                if count:
                    found["identity.agencies"] = count
    return found


def test_deleting_the_account_erases_the_agency_everywhere_and_nothing_else(new_agency, system):
    owner, other = new_agency(), new_agency()
    for agency in (owner, other):
        client = new_client(agency).json()
        agency.post(
            "/contacts",
            json={
                "name": "Cora Contact",
                "email": f"c-{uuid.uuid4().hex[:8]}@example.com",
                "client_id": client["id"],
            },
            expect=201,
        )
        agency.post("/services", json={"name": f"Retainer {uuid.uuid4().hex[:6]}"}, expect=201)
        subscribe(agency, system)
    admin = team_member(owner, "Admin")
    customer_id = confirmed_customer_of(owner)
    platform = stripe.StripeClient(PLATFORM_SECRET, base_addresses={"api": system.stripe_url})
    assert platform.v1.customers.retrieve(customer_id).id == customer_id
    before = agency_rows(system, other.agency["id"])
    assert before, "the other agency has rows"
    deadline = time.monotonic() + 20
    while "billing.client_facts" not in agency_rows(system, owner.agency["id"]):
        assert time.monotonic() < deadline
        time.sleep(0.2)

    assert_error(owner.post("/agency/delete", json={"password": "wrong password 1"}), 422)
    assert_error(admin.post("/agency/delete", json={"password": admin.password}), 403)
    deleted = owner.post("/agency/delete", json={"password": owner.password}, expect=200).json()
    assert deleted == {"deleted": True, "agency_id": owner.agency["id"]}
    assert_error(owner.get("/clients"), 401)

    deadline = time.monotonic() + 30
    while left := agency_rows(system, owner.agency["id"]):
        assert time.monotonic() < deadline, f"still there: {left}"
        time.sleep(0.5)
    while not customer_gone(platform, customer_id):
        assert time.monotonic() < deadline, "the platform's Stripe customer is still there"
        time.sleep(0.5)
    theirs = confirmed_customer_of(other)
    assert platform.v1.customers.retrieve(theirs).id == theirs
    after = agency_rows(system, other.agency["id"])
    assert all(after.get(table, 0) >= count for table, count in before.items()), after
    assert other.get("/clients", expect=200).json()["total"] == 1
    assert other.get("/agency/subscription", expect=200).json()["status"] == "active"


def customer_gone(platform: stripe.StripeClient, customer_id: str) -> bool:
    try:
        return bool(getattr(platform.v1.customers.retrieve(customer_id), "deleted", False))
    except stripe.InvalidRequestError:
        return True


def confirmed_customer_of(agency: ApiClient) -> str:
    return agency.post("/agency/subscription/card-setup", expect=200).json()["customer_id"]
