"""QUORUM_QUEUES: every durable queue nameko declares becomes a quorum queue."""

import pytest
from kombu import Exchange, Queue

from kit.queues import quorum_if_configured, quorum_queues

EXCHANGE = Exchange("nameko-rpc", type="topic")


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, False), ("", False), ("0", False), (0, False), (False, False), ("no", False),
     ("1", True), (1, True), (True, True), ("true", True), (" Yes ", True), ("on", True)],
)  # fmt: skip
def test_quorum_queues_reads_the_setting(value, expected):
    assert quorum_queues({"QUORUM_QUEUES": value}) is expected
    assert quorum_queues({}) is False


def test_a_queue_is_quorum_only_when_asked_and_keeps_its_arguments():
    def reply_queue():
        return Queue("rpc.reply-x", exchange=EXCHANGE, queue_arguments={"x-expires": 300000})

    assert quorum_if_configured(reply_queue(), {"QUORUM_QUEUES": 0}).queue_arguments == {
        "x-expires": 300000
    }
    asked = quorum_if_configured(reply_queue(), {"QUORUM_QUEUES": "1"})
    assert asked.queue_arguments == {"x-expires": 300000, "x-queue-type": "quorum"}
    assert asked.durable


@pytest.mark.parametrize("flags", [{"durable": False}, {"auto_delete": True}, {"exclusive": True}])
def test_a_queue_that_cannot_be_quorum_stays_classic(flags):
    queue = Queue("evt-x-y--z.handler", exchange=EXCHANGE, routing_key="y", **flags)
    assert not (quorum_if_configured(queue, {"QUORUM_QUEUES": 1}).queue_arguments or {})
