"""The system as it runs on more than one machine: two processes of each service on a
three-node RabbitMQ cluster of the suite's own (tests/support/private_infra.py), with
`QUORUM_QUEUES=1` and every node in `AMQP_URI` (the `scaled_out` fixture).

- The two processes of a service share its RPC calls, handle each event once between them, and
  run the daily billing run (every 2 s here, in each process) exactly once.
- Every queue is a quorum queue: those the processes share, and the callers' reply queues.
- The RabbitMQ node every process is connected to (the first of the list, which also leads every
  quorum queue) is killed under traffic: no event is lost or handled twice, every answer is a 2xx
  or a 503, and the system goes on with the two nodes left.

The cases run in file order; the last one loses a node for good.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import requests

from deploy.stack import SERVICES
from tests.support.api import ApiClient
from tests.support.faults import Traffic

HEALTH_CALLS = 40
TODAY = datetime.now(UTC).date()


def processes(service: str) -> set[str]:
    return {f"{service}-1", f"{service}-2"}


def test_every_queue_is_a_quorum_queue(scaled_out):
    types = scaled_out.queue_types()
    for service in SERVICES:
        assert types[f"rpc-{service}"] == "quorum", service
    handlers = [name for name in types if name.startswith("evt-")]
    replies = [name for name in types if name.startswith("rpc.reply-")]
    assert handlers and replies
    assert set(types.values()) == {"quorum"}, types


def test_two_processes_of_each_service_share_its_calls(scaled_out):
    before = {service: scaled_out.handled_by(f"{service}.health") for service in SERVICES}
    for _ in range(HEALTH_CALLS):  # each asks every service once
        requests.get(f"{scaled_out.base_url}/healthz", timeout=10).raise_for_status()
    time.sleep(1)  # the last log lines reach the file
    for service in SERVICES:
        calls = scaled_out.handled_by(f"{service}.health")
        calls.subtract(before[service])
        assert set(+calls) == processes(service), calls
        assert sum(calls.values()) == HEALTH_CALLS, calls
        assert min(calls.values()) >= HEALTH_CALLS // 4, f"{service}: {calls}"


def test_two_processes_handle_each_event_once(scaled_out, scaled_agency):
    before = scaled_out.handled_by("notifications.on_contact_invited")
    traffic = Traffic(scaled_agency.api, scaled_agency.client_id, invite=True).start()
    traffic.run_for(4)
    traffic.stop()

    traffic.assert_only_successes_or_503()
    assert not traffic.unavailable_count()
    traffic.assert_every_invitation_mailed_once(scaled_out.mailbox)
    handled = scaled_out.handled_by("notifications.on_contact_invited")
    handled.subtract(before)
    assert set(+handled) == processes("notifications"), handled
    assert sum(handled.values()) == len(traffic.created), handled
    scaled_out.assert_outboxes_drained()
    scaled_out.assert_no_failed_events()


def _billable_client(owner: ApiClient) -> dict:
    """A client the billing service has heard of (from the clients service's event)."""
    client = owner.post("/clients", json={"name": f"Client {uuid.uuid4().hex[:6]}"}, expect=201)
    client = client.json()
    deadline = time.monotonic() + 20
    while owner.get("/invoices", params={"client_id": client["id"]}).status_code != 200:
        assert time.monotonic() < deadline, "billing never heard of the client"
        time.sleep(0.2)
    return client


def _invoices(owner: ApiClient) -> list[dict]:
    return owner.get("/invoices", params={"per_page": 100}, expect=200).json()["items"]


def test_the_daily_billing_run_in_two_processes_issues_each_invoice_once(scaled_out, scaled_agency):
    owner = scaled_agency.api
    client = _billable_client(owner)
    service = owner.post("/services", json={"name": "Care plan"}, expect=201).json()
    assignments = [
        owner.post(
            "/assignments",
            json={
                "service_id": service["id"],
                "client_id": client["id"],
                "payment_method": "check",
                "billing_type": kind,
                "start_date": TODAY.isoformat(),
                "rate": 10000 + i,
            },
            expect=201,
        ).json()["id"]
        for i, kind in enumerate(["one_time", "recurring_in_advance"] * 4)
    ]

    # Nobody asks for a run: the timer of each billing process finds the invoices due.
    deadline = time.monotonic() + 30
    while len(_invoices(owner)) < len(assignments):
        assert time.monotonic() < deadline, f"the daily run issued {len(_invoices(owner))}"
        time.sleep(0.5)
    time.sleep(4)  # both processes run again (twice each): nothing more is due

    invoices = _invoices(owner)
    assert sorted(i["assignment_id"] for i in invoices) == sorted(assignments)
    assert sorted(i["number"] for i in invoices) == list(range(1, len(assignments) + 1))
    runs = scaled_out.handled_by("billing.run_due_billing")
    assert set(runs) == processes("billing"), runs


def test_a_rabbitmq_node_lost_under_traffic_loses_no_event_and_the_system_goes_on(
    scaled_out, scaled_agency
):
    cluster = scaled_out.cluster
    first, *others = cluster.nodes
    # kombu tries the nodes in the order given: every process is on the first, which also leads
    # the quorum queues (declared there).
    assert len(first.ctl("list_connections", "name").split("\n")) >= len(SERVICES) * 2

    traffic = Traffic(scaled_agency.api, scaled_agency.client_id, invite=True).start()
    traffic.run_for(3)
    killed_at = time.monotonic()
    cluster.kill(0)
    traffic.run_for(8)
    traffic.stop()

    traffic.assert_only_successes_or_503()
    traffic.assert_every_2xx_write_is_kept()
    traffic.assert_every_invitation_mailed_once(scaled_out.mailbox)
    scaled_out.assert_outboxes_drained()
    assert cluster.running_nodes(others[0]) == sorted(node.node for node in others)
    print(
        f"node killed {time.monotonic() - killed_at:.0f} s ago; "
        f"{traffic.unavailable_count()} of {len(traffic.answers)} answers were 503s"
    )

    # On the two nodes left: every request served, every event delivered once.
    after = Traffic(scaled_agency.api, scaled_agency.client_id, invite=True).start()
    after.run_for(4)
    after.stop()
    after.assert_only_successes_or_503()
    assert not after.unavailable_count(), [a for a in after.answers if a.status == 503][:3]
    after.assert_every_invitation_mailed_once(scaled_out.mailbox)
    scaled_out.assert_outboxes_drained()
    scaled_out.assert_no_failed_events()
