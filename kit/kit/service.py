"""What every service's entrypoints share: the request id on every log line, from the call
context (or the event payload), one line per call saying what ran, how it ended, how long, and
one answer for a database that cannot be reached (`ServiceUnavailable`, a 503 at the gateway)."""

from __future__ import annotations

import logging
import time

from amqp.exceptions import AMQPError
from kombu.exceptions import OperationalError as BrokerError
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
    SERIALIZER_CONFIG_KEY,
)
from nameko.extensions import DependencyProvider
from nameko.rpc import Responder, get_rpc_exchange
from nameko.rpc import Rpc as NamekoRpc
from sqlalchemy import exc as sa_exc

from kit.db import database_unreachable, short_reason, unreachable_error
from kit.errors import DomainError, ServiceUnavailable
from kit.logs import quiet_broker_reconnects, reset_request_id, set_request_id

log = logging.getLogger("kit.calls")
# Every service imports this module for its entrypoints: one warning line per lost broker.
quiet_broker_reconnects()

# Expected, so nameko logs no traceback for them; `Rpc.handle_result` decides what they mean.
DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DBAPIError)


class ReplyPublisher(Publisher):
    """An RPC reply: no publisher confirm and not persistent. The caller waits for the reply
    and gives up at its timeout anyway, so a confirm (a round trip to the broker before the
    request is acked) and a write to disk buy nothing; a reply lost with the broker ends in the
    caller's 503 either way, and its unacked request is redelivered, then answered 503."""

    use_confirms = False
    delivery_mode = NON_PERSISTENT


class _Responder(Responder):
    publisher_cls = ReplyPublisher


class Rpc(NamekoRpc):
    """nameko's RPC entrypoint, answering `ServiceUnavailable` while the database is away, and
    surviving a broker that goes away mid-call.

    The one place for it: no entrypoint catches connection errors itself. Any other database
    error stays what it is (a bug to see in the log, a 500 at the gateway).

    nameko lets a reply that cannot be published (RabbitMQ gone) kill the whole service, and
    RabbitMQ then delivers the unacked request again once it is back: a write could run twice.
    Here the lost reply is one warning line, and a redelivered request is not run again but
    answered `ServiceUnavailable` (its caller has had its answer or its 503 by then).
    """

    def handle_message(self, body, message) -> None:
        if message.delivery_info.get("redelivered"):
            log.warning(
                "%s.%s: a request delivered before is not run again",
                self.container.service_name,
                self.method_name,
            )
            error = ServiceUnavailable(
                "The request was interrupted; please try again.",
                {"service": self.container.service_name},
            )
            self._reply(message, None, (type(error), error, None))
            return
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if exc_info is not None and database_unreachable(exc_info[1]):
            service = self.container.service_name
            log.warning(
                "%s.%s: database unreachable (%s); answered service_unavailable",
                service,
                self.method_name,
                short_reason(exc_info[1]),
            )
            error = unreachable_error(service)
            exc_info = (type(error), error, None)
        elif exc_info is not None and isinstance(exc_info[1], DATABASE_ERRORS):
            log.error(
                "%s.%s failed", self.container.service_name, self.method_name, exc_info=exc_info
            )
        return self._reply(message, result, exc_info)

    def setup(self) -> None:
        super().setup()
        config = self.container.config
        self._reply_options = (
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
        )
        self._reply_ssl = config.get(AMQP_SSL_CONFIG_KEY)
        self._reply_login = config.get(LOGIN_METHOD_CONFIG_KEY)

    def _reply(self, message, result, exc_info):
        """nameko's `RpcConsumer.handle_result` (reply, then ack the request), the reply
        published by `ReplyPublisher`."""
        try:
            amqp_uri, exchange, serializer = self._reply_options
            responder = _Responder(
                amqp_uri,
                exchange,
                serializer,
                message,
                ssl=self._reply_ssl,
                login_method=self._reply_login,
            )
            result, exc_info = responder.send_response(result, exc_info)
            self.rpc_consumer.queue_consumer.ack_message(message)
            return result, exc_info
        except (BrokerError, AMQPError, OSError) as exc:
            log.warning(
                "%s.%s: the reply was lost (%s: %s); the caller's wait ends in a 503",
                self.container.service_name,
                self.method_name,
                type(exc).__name__,
                exc,
            )
            return result, exc_info


def rpc(fn=None, **kwargs):
    """nameko's `@rpc`, with the domain errors declared expected: a NotFound or a
    ValidationError is an answer, not a failure of the service (no ERROR line, no traceback)."""
    kwargs.setdefault("expected_exceptions", (DomainError, *DATABASE_ERRORS))
    decorator = Rpc.decorator(**kwargs)
    return decorator(fn) if fn is not None else decorator


class RequestLogging(DependencyProvider):
    """Puts the caller's request id on log lines and logs each RPC or event handled."""

    def __init__(self):
        self.calls = {}

    def worker_setup(self, worker_ctx) -> None:
        first = worker_ctx.args[0] if worker_ctx.args else worker_ctx.kwargs.get("ctx")
        request_id = first.get("request_id") if isinstance(first, dict) else None
        self.calls[worker_ctx] = (set_request_id(request_id), time.monotonic())

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        _, started = self.calls.get(worker_ctx, (None, time.monotonic()))
        outcome = "ok" if exc_info is None else exc_info[0].__name__
        entrypoint = worker_ctx.entrypoint
        log.info(
            "%s.%s %s in %.1f ms",
            self.container.service_name,
            entrypoint.method_name,
            outcome,
            (time.monotonic() - started) * 1000,
        )

    def worker_teardown(self, worker_ctx) -> None:
        token, _ = self.calls.pop(worker_ctx, (None, None))
        if token is not None:
            reset_request_id(token)
