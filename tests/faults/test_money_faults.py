"""Money under faults, with two processes of each service: a billing run killed half-way, Stripe
slow or losing its answer after charging, webhooks duplicated and out of order, a usage writer
killed mid-transfer. After each: every invoice once, every card charged once (counted in
localstripe by the invoice in each payment's metadata), the ledger balanced."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import json
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
import requests
import stripe
from sqlalchemy import create_engine, text

from tests.support.api import ApiClient
from tests.support.cards import GOOD_CARD, confirm_card

SECRET = "sk_test_faults_agency_secret"
WEBHOOK_SECRET = "whsec_faults_money"
CHARGE = ("POST", "/v1/payment_intents")  # a charge: created and confirmed in one call
RUN_INVOICES = 30  # card invoices of the billing run (and a few by check beside them)
USAGE_DRAWS = 240
CONCURRENT_INVOICES = 8


# -- the agency's money set up through the API ---------------------------------------------------


def card_agency(agency) -> ApiClient:
    """The agency's own Stripe keys saved, and its client's card (as Stripe.js saves it)."""
    api = agency.api
    keys = {"publishable_key": "pk_test_faults", "secret_key": SECRET}
    api.put("/agency/stripe", json={**keys, "webhook_secret": WEBHOOK_SECRET}, expect=200)
    _wait(lambda: api.get("/invoices", params={"client_id": agency.client_id}).ok, "billing")
    return api


def save_card(faulty, api: ApiClient, client_id: str) -> None:
    setup = api.post(f"/clients/{client_id}/payment-method", expect=200).json()
    confirm_card(faulty.system.stripe_url, SECRET, setup, GOOD_CARD)
    body = {"setup_intent_id": setup["setup_intent_id"]}
    api.put(f"/clients/{client_id}/payment-method", json=body, expect=200)


def today() -> str:
    return datetime.now(UTC).date().isoformat()  # the agency keeps the default zone (UTC)


def card_charge(api: ApiClient, client_id: str, service_id: str, amount: int) -> dict:
    """A card invoice issued and charged at once (`POST /charges`): its invoice as answered."""
    body = {
        "client_id": client_id,
        "service_id": service_id,
        "amount": amount,
        "payment_method": "card",
    }
    return api.post("/charges", json=body, expect=201).json()


def new_service(api: ApiClient) -> str:
    name = f"Retainer {uuid.uuid4().hex[:6]}"
    return api.post("/services", json={"name": name}, expect=201).json()["id"]


def run_until_settled(api: ApiClient, invoice_ids: set[str], timeout: float = 60) -> None:
    """`POST /billing/runs` (it charges what is due, a payment whose answer was lost first
    looked up at Stripe) until every one of `invoice_ids` is paid."""
    deadline = time.monotonic() + timeout
    while True:
        api.post("/billing/runs", json={"as_of": today()})
        statuses = {api.get(f"/invoices/{i}", expect=200).json()["status"] for i in invoice_ids}
        if statuses == {"paid"}:
            return
        assert time.monotonic() < deadline, f"invoices still {statuses}"
        time.sleep(0.5)


# -- what Stripe and the databases hold ----------------------------------------------------------


def stripe_payments(faulty) -> dict[str, list]:
    """Every payment in localstripe, by the invoice in its metadata."""
    client = stripe.StripeClient(SECRET, base_addresses={"api": faulty.system.stripe_url})
    by_invoice = collections.defaultdict(list)
    for intent in client.v1.payment_intents.list(params={"limit": 100}).auto_paging_iter():
        invoice_id = intent.metadata.to_dict().get("invoice_id")
        if invoice_id:
            by_invoice[invoice_id].append(intent)
    return by_invoice


def assert_charged_once(faulty, invoices: list[dict]) -> None:
    """Each invoice paid by exactly one payment at Stripe, the one billing recorded, and one
    successful attempt (none left pending)."""
    payments = stripe_payments(faulty)
    twice = {i["id"]: len(payments[i["id"]]) for i in invoices if len(payments[i["id"]]) != 1}
    assert not twice, f"invoices not charged exactly once at Stripe: {twice}"
    for invoice in invoices:
        [payment] = payments[invoice["id"]]
        assert payment.status == "succeeded", payment
        assert invoice["paid_reference"] == payment.id, invoice
    ids = [i["id"] for i in invoices]
    attempts = faulty.query(
        "billing",
        "SELECT invoice_id::text AS invoice_id, status FROM payment_attempts "
        "WHERE invoice_id::text = ANY(:ids)",
        ids=ids,
    )
    succeeded = collections.Counter(a["invoice_id"] for a in attempts if a["status"] == "succeeded")
    assert all(succeeded[i] == 1 for i in ids), succeeded
    assert not [a for a in attempts if a["status"] == "pending"], attempts


def paid_events(faulty, invoice_id: str) -> int:
    rows = faulty.query(
        "billing",
        "SELECT count(*) AS n FROM outbox WHERE event_type = 'invoice_paid' "
        "AND payload->>'invoice_id' = :id",
        id=invoice_id,
    )
    return rows[0]["n"]


@contextlib.contextmanager
def ledger_held(faulty, agency_id: str):
    """The agency's balance row locked by a transaction of ours for the block; yields a
    function answering the ports of billing's database connections waiting on a lock."""
    engine = create_engine(faulty.postgres.url(faulty.databases["billing"]))
    try:
        with engine.connect() as conn, conn.begin() as held:
            conn.execute(
                text(
                    "SELECT 1 FROM ledger_accounts WHERE agency_id = CAST(:agency AS uuid) "
                    "AND kind = 'agency' FOR UPDATE"
                ),
                {"agency": agency_id},
            )

            def waiting() -> list[int]:
                rows = faulty.query(
                    "billing",
                    "SELECT client_port FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock'",
                )
                return [r["client_port"] for r in rows]

            yield waiting
            held.rollback()
    finally:
        engine.dispose()


def _wait(check, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"{what}: not so after {timeout} s"
        time.sleep(0.2)


# -- the cases -----------------------------------------------------------------------------------


def test_a_billing_run_killed_half_way_completes_next_run_with_each_invoice_once_charged_once(
    faulty, agency
):
    api = card_agency(agency)
    save_card(faulty, api, agency.client_id)
    service = new_service(api)
    assignments = set()
    for i in range(RUN_INVOICES + 4):
        terms = {
            "service_id": service,
            "client_id": agency.client_id,
            "payment_method": "card" if i < RUN_INVOICES else "check",
            "billing_type": "one_time",
            "start_date": today(),
            "rate": 1000 + i,
        }
        assignments.add(api.post("/assignments", json=terms, expect=201).json()["id"])

    # Half the run's charges go through; Stripe makes the next one and its answer is held while
    # the billing process waiting for it is killed.
    answers = []
    run = threading.Thread(
        target=lambda: answers.append(
            api.post("/billing/runs", json={"as_of": today()}, timeout=60).status_code
        )
    )
    with faulty.stripe.rule(*CHARGE, delay=60, after=RUN_INVOICES // 2, times=1):
        run.start()
        assert faulty.stripe.holding.wait(60), "the run never got half-way"
        caller = faulty.stripe_caller()
        assert caller, "no billing process is waiting for Stripe"
        restarts = faulty.kill_one(caller)
    run.join(60)
    faulty.wait_restarted(caller, restarts)

    invoices = faulty.query(
        "billing",
        "SELECT id::text AS id, number, assignment_id::text AS assignment_id, payment_method "
        "FROM invoices WHERE agency_id = CAST(:agency AS uuid) ORDER BY number",
        agency=agency.api.agency["id"],
    )
    card_ids = {i["id"] for i in invoices if i["payment_method"] == "card"}
    run_until_settled(api, card_ids)

    invoices = faulty.query(
        "billing",
        "SELECT id::text AS id, number, assignment_id::text AS assignment_id, payment_method, "
        "status, paid_reference FROM invoices WHERE agency_id = CAST(:agency AS uuid) "
        "ORDER BY number",
        agency=agency.api.agency["id"],
    )
    numbers = [i["number"] for i in invoices]
    assert numbers == list(range(numbers[0], numbers[0] + len(assignments))), numbers
    assert sorted(i["assignment_id"] for i in invoices) == sorted(assignments)
    card = [i for i in invoices if i["payment_method"] == "card"]
    assert len(card) == RUN_INVOICES and {i["status"] for i in card} == {"paid"}
    assert_charged_once(faulty, card)
    assert answers and answers[0] in (0, 200, 503), answers


def test_two_billing_runs_at_once_on_the_two_processes_charge_each_invoice_once(faulty, agency):
    api = card_agency(agency)
    save_card(faulty, api, agency.client_id)
    service = new_service(api)
    for i in range(CONCURRENT_INVOICES):
        terms = {
            "service_id": service,
            "client_id": agency.client_id,
            "payment_method": "card",
            "billing_type": "one_time",
            "start_date": today(),
            "rate": 2000 + i,
        }
        api.post("/assignments", json=terms, expect=201)

    # Stripe a little slow (within billing's timeout): the two runs charge side by side.
    def run() -> int:
        return api.post("/billing/runs", json={"as_of": today()}, timeout=60).status_code

    with faulty.stripe.rule(*CHARGE, delay=0.3), ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: run(), range(2)))
    assert set(statuses) <= {200, 503}, statuses

    invoices = faulty.query(
        "billing",
        "SELECT id::text AS id, number FROM invoices WHERE agency_id = CAST(:agency AS uuid)",
        agency=api.agency["id"],
    )
    assert len(invoices) == CONCURRENT_INVOICES
    run_until_settled(api, {i["id"] for i in invoices})
    paid = [api.get(f"/invoices/{i['id']}", expect=200).json() for i in invoices]
    assert_charged_once(faulty, paid)


@pytest.mark.parametrize(
    "fault", [{"drop": True}, {"delay": 4.5}], ids=["reply-dropped", "stripe-slow"]
)
def test_stripe_losing_its_answer_after_charging_gives_one_charge_and_paid_after_reconciling(
    faulty, agency, fault
):
    api = card_agency(agency)
    save_card(faulty, api, agency.client_id)
    service = new_service(api)

    # The charge reaches Stripe and is made; billing never hears (dropped, or later than its
    # STRIPE_TIMEOUT of 3 s): the invoice stays open with its try pending.
    with faulty.stripe.rule(*CHARGE, times=1, **fault):
        invoice = card_charge(api, agency.client_id, service, 4200)
    assert invoice["status"] == "open", invoice
    assert len(stripe_payments(faulty)[invoice["id"]]) == 1

    # Slow within the timeout is only slow.
    with faulty.stripe.rule(*CHARGE, times=1, delay=1.0):
        quick = card_charge(api, agency.client_id, service, 1700)
    assert quick["status"] == "paid", quick

    run_until_settled(api, {invoice["id"]})  # the next run reconciles the lost answer
    paid = api.get(f"/invoices/{invoice['id']}", expect=200).json()
    assert_charged_once(faulty, [paid, quick])
    assert paid_events(faulty, invoice["id"]) == 1


def _event(kind: str, intent, invoice_id: str, created: int) -> str:
    """A Stripe event about `intent` (as Stripe sends it to the agency's endpoint)."""
    obj = {
        "id": intent.id,
        "object": "payment_intent",
        "status": "succeeded" if kind == SUCCEEDED else "requires_payment_method",
        "metadata": intent.metadata.to_dict(),
    }
    if kind == FAILED:
        obj["last_payment_error"] = {"message": "Your card was declined."}
    if kind == REFUNDED:
        obj = {"id": f"ch_{uuid.uuid4().hex[:14]}", "object": "charge", "payment_intent": intent.id}
    event = {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "created": created,
        "data": {"object": obj},
    }
    return json.dumps(event)


def _deliver(base_url: str, agency_id: str, payload: str) -> dict:
    at = int(time.time())
    digest = hmac.new(
        WEBHOOK_SECRET.encode(), f"{at}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    response = requests.post(
        f"{base_url}/api/v1/webhooks/stripe/{agency_id}",
        data=payload,
        headers={"Stripe-Signature": f"t={at},v1={digest}", "Content-Type": "application/json"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


SUCCEEDED, FAILED, REFUNDED = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "charge.refunded",
)


@pytest.mark.parametrize(
    ("deliveries", "handled"),
    [
        # The success twice at once (to both billing processes), then an older failure late,
        # then each again.
        ([[SUCCEEDED, SUCCEEDED], [FAILED, REFUNDED], [SUCCEEDED, FAILED]], [SUCCEEDED]),
        # The older failure first, then the success twice at once, then both again.
        ([[FAILED], [SUCCEEDED, SUCCEEDED], [FAILED, REFUNDED, SUCCEEDED]], [FAILED, SUCCEEDED]),
    ],
    ids=["success-first", "failure-first"],
)
def test_webhooks_duplicated_and_out_of_order_end_paid_with_one_payment(
    faulty, agency, deliveries, handled
):
    api = card_agency(agency)
    save_card(faulty, api, agency.client_id)
    service = new_service(api)
    agency_id = api.agency["id"]

    # A charge made at Stripe whose answer billing lost: only Stripe's events tell.
    with faulty.stripe.rule(*CHARGE, times=1, drop=True):
        invoice = card_charge(api, agency.client_id, service, 2300)
    assert invoice["status"] == "open", invoice
    [intent] = stripe_payments(faulty)[invoice["id"]]
    now = int(time.time())
    events = {
        kind: _event(kind, intent, invoice["id"], now - age)
        for kind, age in ((FAILED, 60), (SUCCEEDED, 0), (REFUNDED, 0))
    }
    answers = []
    with ThreadPoolExecutor(4) as pool:
        for batch in deliveries:
            answers += pool.map(lambda k: _deliver(faulty.base_url, agency_id, events[k]), batch)
    assert sorted(a["reason"] for a in answers if a["handled"]) == sorted(handled), answers

    paid = api.get(f"/invoices/{invoice['id']}", expect=200).json()
    assert paid["status"] == "paid", paid
    assert_charged_once(faulty, [paid])
    assert paid_events(faulty, invoice["id"]) == 1
    later = faulty.query(
        "billing",
        "SELECT next_charge_on FROM invoices WHERE id = CAST(:id AS uuid)",
        id=invoice["id"],
    )
    assert later == [{"next_charge_on": None}]  # no try left scheduled by the stale failure
    # A refund through billing, then Stripe's charge.refunded about it: one refund.
    api.post(f"/invoices/{invoice['id']}/refund", json={}, expect=201)
    _deliver(faulty.base_url, agency_id, events[REFUNDED])
    refunds = api.get(f"/invoices/{invoice['id']}/refunds", expect=200).json()["items"]
    assert [r["amount"]["amount"] for r in refunds] == [2300]


def test_a_usage_writer_killed_mid_transfer_leaves_the_ledger_balanced(faulty, agency):
    api = agency.api
    client = agency.client_id
    _wait(lambda: api.get(f"/clients/{client}/funding").ok, "billing knows the client")
    credit = {"amount": 10_000_000, "reference": "WIRE", "idempotency_key": "faults-credit"}
    api.post("/balances/credits", json=credit, expect=201)

    keys = [f"use-{uuid.uuid4().hex[:10]}" for _ in range(USAGE_DRAWS)]
    amounts = {key: 100 + n for n, key in enumerate(keys)}
    answers: dict[str, int] = {}

    def draw(key: str) -> int:
        body = {"amount": amounts[key], "description": "Minutes", "idempotency_key": key}
        try:
            status = api.post(f"/clients/{client}/usage", json=body, timeout=30).status_code
        except requests.RequestException:
            status = 0
        return status

    with ThreadPoolExecutor(12) as pool:
        # The agency's balance held by a transaction of ours: each process's draw waits on it
        # in the database (the ones behind it queued in the process) and one process is killed
        # there, mid-transfer; then the balance is let go.
        with ledger_held(faulty, api.agency["id"]) as waiting:
            futures = {key: pool.submit(draw, key) for key in keys}
            _wait(lambda: len(waiting()) >= 2, "a draw of each billing process waiting")
            writer = faulty.process_of(waiting(), "billing")
            assert writer, "no billing process owns a waiting draw"
            restarts = faulty.kill_one(writer)
            time.sleep(0.5)
        answers = {key: future.result() for key, future in futures.items()}
    faulty.wait_restarted(writer, restarts)

    unanswered = [key for key, status in answers.items() if status != 201]
    assert unanswered, "the kill found no usage in flight in that process"
    assert {answers[k] for k in unanswered} <= {0, 503}, collections.Counter(answers.values())
    for key in unanswered:  # the caller retries what got no answer, with the same key
        _wait(lambda k=key: draw(k) == 201, f"usage {key} recorded on retry")

    transfers = faulty.query(
        "billing",
        "SELECT idempotency_key, amount FROM ledger_transfers "
        "WHERE agency_id = CAST(:agency AS uuid) AND kind = 'usage'",
        agency=api.agency["id"],
    )
    recorded = collections.Counter(t["idempotency_key"] for t in transfers)
    assert set(recorded) == set(keys) and set(recorded.values()) == {1}
    assert {t["idempotency_key"]: t["amount"] for t in transfers} == amounts
    # Every stored balance is the sum of its transfers, and the agency's accounts sum to zero.
    accounts = faulty.query(
        "billing",
        """SELECT a.kind, a.balance,
                  coalesce((SELECT sum(t.amount) FROM ledger_transfers t
                            WHERE t.to_account_id = a.id), 0)
                - coalesce((SELECT sum(t.amount) FROM ledger_transfers t
                            WHERE t.from_account_id = a.id), 0)
                  AS moved
           FROM ledger_accounts a WHERE a.agency_id = CAST(:agency AS uuid)""",
        agency=api.agency["id"],
    )
    assert all(a["balance"] == a["moved"] for a in accounts if a["balance"] is not None), accounts
    assert sum(a["moved"] for a in accounts) == 0
    [own] = [a for a in accounts if a["kind"] == "agency"]
    assert own["balance"] == 10_000_000 - sum(amounts.values())
    balances = api.get("/balances", expect=200).json()
    assert balances["agency"]["balance"]["amount"] == own["balance"]
    total = balances["agency"]["balance"]["amount"] + sum(
        a["balance"]["amount"] for a in balances["clients"] + balances["system"]
    )
    assert total == 0
    print(f"usage: {len(unanswered)} of {USAGE_DRAWS} draws retried after the kill")
