"""A service that does not answer costs its caller the RPC timeout, not forever: both
`ServiceRpc` (service to service) and `RpcClient` (the gateway's) give up and say
ServiceUnavailable, against a real nameko service on the real RabbitMQ."""

import time

import eventlet
import pytest
from nameko.rpc import rpc

from kit.errors import ServiceUnavailable
from kit.rpc import RpcClient, ServiceRpc

TIMEOUT = 0.5
SILENCE = 3.0  # how long the mute service takes: far past the timeout
SLACK = 1.0  # what a loaded machine may add on top of the timeout


class MuteService:
    name = "mute"

    @rpc
    def wait(self, seconds):
        eventlet.sleep(seconds)
        return "answered"


class CallerService:
    name = "caller"
    mute = ServiceRpc("mute")

    @rpc
    def ask_mute(self, seconds):
        started = time.monotonic()
        try:
            return self.mute.wait(seconds)
        except ServiceUnavailable as exc:
            return {"error": exc.to_dict(), "seconds": time.monotonic() - started}


@pytest.fixture
def services(container_factory, rabbit_config):
    config = {**rabbit_config, "RPC_TIMEOUT": TIMEOUT, "serializer": "json"}
    for cls in (MuteService, CallerService):
        container_factory(cls, config).start()
    return config


def test_a_service_calling_a_mute_service_gives_up_after_its_timeout(services):
    client = RpcClient(services, timeout=10)
    try:
        answer = client.call("caller", "ask_mute", SILENCE)
    finally:
        client.close()
    assert answer["error"]["code"] == "service_unavailable"
    assert answer["error"]["fields"] == {"service": "mute"}
    print(f"ServiceRpc gave up after {answer['seconds']:.3f} s (timeout {TIMEOUT} s)")
    assert TIMEOUT <= answer["seconds"] < TIMEOUT + SLACK


def test_the_gateways_client_gives_up_after_its_timeout_and_the_next_call_works(services):
    client = RpcClient(services, timeout=TIMEOUT)
    try:
        started = time.monotonic()
        with pytest.raises(ServiceUnavailable) as raised:
            client.call("mute", "wait", SILENCE)
        took = time.monotonic() - started
        # the late answer to the abandoned call must not be taken for the next call's
        assert client.call("mute", "wait", 0) == "answered"
    finally:
        client.close()
    assert raised.value.fields == {"service": "mute"}
    print(f"RpcClient gave up after {took:.3f} s (timeout {TIMEOUT} s)")
    assert TIMEOUT <= took < TIMEOUT + SLACK
