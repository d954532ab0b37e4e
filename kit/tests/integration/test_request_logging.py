"""The gateway's request id reaches every service it calls and is on that service's log lines."""

import logging

import eventlet
import pytest
from nameko.exceptions import RemoteError
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.timer import timer

from kit.errors import NotFound
from kit.logs import FORMAT, RequestIdFilter, current_request_id
from kit.rpc import translate_remote_error
from kit.service import RequestLogging, rpc


class EchoService:
    name = "echo"
    request_logging = RequestLogging()

    @rpc
    def missing(self, ctx):
        raise NotFound("No such thing.")

    @rpc
    def whoami(self, ctx):
        logging.getLogger("echo").info("answering")
        return current_request_id()


@pytest.fixture
def echo(container_factory, rabbit_config):
    container_factory(EchoService, rabbit_config).start()
    return rabbit_config


def test_the_request_id_of_the_context_is_on_the_services_log_lines(echo, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.handler.setFormatter(logging.Formatter(FORMAT))
    caplog.set_level(logging.INFO)
    with ServiceRpcProxy("echo", echo, timeout=5) as proxy:
        assert proxy.whoami({"agency_id": None, "request_id": "req-4711"}) == "req-4711"

    def logged(text):
        lines = [caplog.handler.format(r) for r in caplog.records]
        return any("[req=req-4711]" in line and text in line for line in lines)

    assert logged("answering")
    # nameko replies before the worker's results are handled: the call line may come a bit later.
    with eventlet.Timeout(2):
        while not logged("echo.whoami ok"):
            eventlet.sleep(0.01)


def test_a_domain_error_is_an_answer_not_a_service_failure(echo, caplog):
    caplog.set_level(logging.INFO)
    with ServiceRpcProxy("echo", echo, timeout=5) as proxy, pytest.raises(RemoteError) as raised:
        proxy.missing({"agency_id": None, "request_id": "req-404"})
    assert isinstance(translate_remote_error(raised.value), NotFound)
    with eventlet.Timeout(2):
        while not any("echo.missing NotFound" in r.getMessage() for r in caplog.records):
            eventlet.sleep(0.01)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


TICKS: list[int] = []


class TickService:
    name = "tick"
    request_logging = RequestLogging(quiet_when_idle=("sweep",))

    @timer(interval=0.02)
    def sweep(self):
        """Finds something to do on its fifth tick only (the count of what it removed)."""
        TICKS.append(1)
        return 1 if len(TICKS) == 5 else 0

    @timer(interval=0.02)
    def chatty(self):
        return 0


def test_a_quiet_timer_logs_only_the_ticks_that_did_something(
    container_factory, rabbit_config, caplog
):
    caplog.set_level(logging.INFO)
    TICKS.clear()
    container_factory(TickService, rabbit_config).start()
    with eventlet.Timeout(5):
        while len(TICKS) < 10:
            eventlet.sleep(0.01)
    eventlet.sleep(0.05)
    messages = [r.getMessage() for r in caplog.records]
    assert len([m for m in messages if m.startswith("tick.sweep ok")]) == 1
    assert len([m for m in messages if m.startswith("tick.chatty ok")]) >= 5
