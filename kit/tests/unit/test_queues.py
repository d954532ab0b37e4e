"""QUORUM_QUEUES: the queues replicas share become quorum queues, reply queues transient."""

import pytest
from kombu import Exchange, Queue

from kit.queues import quorum_queues, reply_queue, shared_queue

EXCHANGE = Exchange("nameko-rpc", type="topic")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), (0, False), (False, False), ("no", False),
     ("1", True), (1, True), (True, True), ("true", True), (" Yes ", True), ("on", True)],
)  # fmt: skip
def test_quorum_queues_reads_the_setting(value, expected):
    assert quorum_queues({"QUORUM_QUEUES": value}) is expected
    assert quorum_queues({}) is False


def test_a_shared_queue_is_quorum_only_when_asked():
    def rpc_queue():
        return Queue("rpc-clients", exchange=EXCHANGE, routing_key="clients.*", durable=True)

    assert shared_queue(rpc_queue(), {"QUORUM_QUEUES": 0}).queue_arguments in (None, {})
    asked = shared_queue(rpc_queue(), {"QUORUM_QUEUES": 1})
    assert asked.queue_arguments == {"x-queue-type": "quorum"}
    assert asked.durable


@pytest.mark.parametrize("flags", [{"durable": False}, {"auto_delete": True}, {"exclusive": True}])
def test_a_queue_that_cannot_be_quorum_stays_classic(flags):
    queue = Queue("evt-x-y--z.handler", exchange=EXCHANGE, routing_key="y", **flags)
    assert not (shared_queue(queue, {"QUORUM_QUEUES": 1}).queue_arguments or {})


def test_a_reply_queue_is_transient_on_a_cluster_and_keeps_its_expiry():
    def queue():
        return Queue("rpc.reply-x", exchange=EXCHANGE, queue_arguments={"x-expires": 300000})

    assert reply_queue(queue(), {"QUORUM_QUEUES": 0}).durable
    on_cluster = reply_queue(queue(), {"QUORUM_QUEUES": "1"})
    assert not on_cluster.durable
    assert on_cluster.queue_arguments == {"x-expires": 300000}
