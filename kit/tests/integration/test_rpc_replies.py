"""The kit's RPC replies (`kit.service.Replies`: one kept channel, no confirm, not persistent)
answer as nameko's did: results, domain errors, an unserialisable result, many concurrent callers
each their own answer, and a reply channel cut by the broker is replaced for the next reply."""

import threading

import pytest
from nameko.exceptions import RemoteError

from kit.errors import NotFound
from kit.rpc import RpcClient
from kit.service import Replies, rpc


class AnswerService:
    name = "answer"

    @rpc
    def double(self, n):
        return {"n": n * 2}

    @rpc
    def missing(self):
        raise NotFound("No such thing.")

    @rpc
    def unserialisable(self):
        return object()


@pytest.fixture
def answering(container_factory, rabbit_config):
    config = {**rabbit_config, "serializer": "json"}
    container = container_factory(AnswerService, config)
    container.start()
    client = RpcClient(config, timeout=10)
    yield container, client
    client.close()


def test_results_errors_and_an_unserialisable_result_come_back(answering):
    _, client = answering
    assert client.call("answer", "double", 21) == {"n": 42}
    with pytest.raises(NotFound):
        client.call("answer", "missing")
    with pytest.raises(RemoteError) as raised:
        client.call("answer", "unserialisable")
    assert raised.value.exc_type == "UnserializableValueError"
    assert client.call("answer", "double", 1) == {"n": 2}


def test_concurrent_callers_each_get_their_own_answer(answering):
    _, client = answering
    answers: dict[int, list] = {}

    def caller(k: int) -> None:
        answers[k] = [client.call("answer", "double", k * 100 + i)["n"] for i in range(20)]

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {k: [2 * (k * 100 + i) for i in range(20)] for k in range(8)}


def test_a_reply_channel_the_broker_closed_is_replaced(answering):
    container, client = answering
    assert client.call("answer", "double", 1) == {"n": 2}
    replies = container.shared_extensions[Replies]
    replies.connection.connection.sock.close()  # the kept connection cut under the service
    assert client.call("answer", "double", 2) == {"n": 4}
    assert client.call("answer", "double", 3) == {"n": 6}
