"""What every service's entrypoints share: the request id on every log line, from the call
context (or the event payload), one line per call saying what ran, how it ended, how long, and
one answer for a database that cannot be reached (`ServiceUnavailable`, a 503 at the gateway)."""

from __future__ import annotations

import logging
import sys
import time

import kombu.serialization
from amqp import Message as AmqpMessage
from amqp.exceptions import AMQPError
from eventlet.semaphore import Semaphore
from kombu import Connection
from kombu.exceptions import OperationalError as BrokerError
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    LOGIN_METHOD_CONFIG_KEY,
    NON_PERSISTENT,
)
from nameko.exceptions import UnserializableValueError
from nameko.exceptions import serialize as serialize_error
from nameko.extensions import DependencyProvider, SharedExtension
from nameko.rpc import Rpc as NamekoRpc
from nameko.rpc import RpcConsumer as NamekoRpcConsumer
from nameko.rpc import get_rpc_exchange
from sqlalchemy import exc as sa_exc

from kit.db import database_unreachable, short_reason, unreachable_error
from kit.errors import DomainError, ServiceUnavailable
from kit.logs import quiet_broker_reconnects, reset_request_id, set_request_id
from kit.queues import quorum_if_configured

log = logging.getLogger("kit.calls")
# Every service imports this module for its entrypoints: one warning line per lost broker.
quiet_broker_reconnects()

# Expected, so nameko logs no traceback for them; `Rpc.handle_result` decides what they mean.
DATABASE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DBAPIError)


class RpcConsumer(NamekoRpcConsumer):
    """nameko's consumer of the service's RPC queue, a quorum queue on a cluster (kit.queues)."""

    def setup(self) -> None:
        super().setup()
        # Declared when the consumer connects, after every extension's setup.
        quorum_if_configured(self.queue, self.container.config)


class Replies(SharedExtension):
    """The service's RPC replies, published on one kept channel of the service's own.

    nameko builds a publisher for each reply, takes a pooled connection and producer for it and
    waits for a publisher confirm: per call, more CPU than the call's own work. Here a reply is
    serialised once and published on a channel kept open (a lock keeps one publish at a time on
    it), with no confirm and not persistent: the caller waits for the reply and gives up at its
    timeout anyway, so a confirm (a round trip before the request is acked) and a write to disk
    buy nothing. A reply lost with the broker ends in the caller's 503 either way, and its
    unacked request, redelivered, is answered 503 (`Rpc.handle_message`). A broken channel is
    dropped and the reply tried once more on a fresh one.
    """

    def setup(self) -> None:
        config = self.container.config
        self.amqp_uri = config[AMQP_URI_CONFIG_KEY]
        self.ssl = config.get(AMQP_SSL_CONFIG_KEY)
        self.login_method = config.get(LOGIN_METHOD_CONFIG_KEY)
        self.exchange = get_rpc_exchange(config).name
        self.connection = self.channel = None
        self.lock = Semaphore()

    def stop(self) -> None:
        self._close()

    def kill(self) -> None:
        self._close()

    def _close(self) -> None:
        connection, self.connection, self.channel = self.connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # already gone
                log.debug("closing the reply channel failed", exc_info=True)

    def _publish(self, message: AmqpMessage, routing_key: str) -> None:
        if self.channel is None:
            connection = Connection(self.amqp_uri, ssl=self.ssl, login_method=self.login_method)
            try:
                self.channel = connection.channel()
            except BaseException:
                connection.release()
                raise
            self.connection = connection
        self.channel.basic_publish(message, exchange=self.exchange, routing_key=routing_key)

    def send(self, request, result, exc_info):
        """nameko's `Responder.send_response`: the reply to `request`, encoded as the request
        was; an unserialisable result answered as nameko does. Returns (result, exc_info)."""
        content_type = request.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        error = None if exc_info is None else serialize_error(exc_info[1])
        try:
            _, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer
            )
        except Exception:
            exc_info = sys.exc_info()
            error = serialize_error(UnserializableValueError(result))
            result = None
            _, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer
            )
        message = AmqpMessage(
            body,
            content_type=content_type,
            content_encoding=encoding,
            correlation_id=request.properties.get("correlation_id"),
            delivery_mode=NON_PERSISTENT,
        )
        routing_key = request.properties["reply_to"]
        with self.lock:
            try:
                self._publish(message, routing_key)
            except (BrokerError, AMQPError, OSError):
                self._close()
                self._publish(message, routing_key)  # a second failure is the caller's 503
        return result, exc_info


class Rpc(NamekoRpc):
    """nameko's RPC entrypoint, answering `ServiceUnavailable` while the database is away, and
    surviving a broker that goes away mid-call.

    The one place for it: no entrypoint catches connection errors itself. Any other database
    error stays what it is (a bug to see in the log, a 500 at the gateway).

    nameko lets a reply that cannot be published (RabbitMQ gone) kill the whole service, and
    RabbitMQ then delivers the unacked request again once it is back: a write could run twice.
    Here the lost reply is one warning line, and a redelivered request is not run again but
    answered `ServiceUnavailable` (its caller has had its answer or its 503 by then). Replies
    go out through `Replies`.
    """

    rpc_consumer = RpcConsumer()
    replies = Replies()

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

    def _reply(self, message, result, exc_info):
        """nameko's `RpcConsumer.handle_result` (reply, then ack the request), the reply
        published by `Replies`."""
        try:
            result, exc_info = self.replies.send(message, result, exc_info)
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
    """Puts the caller's request id on log lines and logs each RPC or event handled.

    `quiet_when_idle` names entrypoints (frequent timers) logged only when they fail or return
    something truthy (what they did): a timer that found nothing to do every few seconds would
    bury every other line."""

    def __init__(self, quiet_when_idle: tuple[str, ...] = ()):
        self.calls = {}
        self.quiet_when_idle = frozenset(quiet_when_idle)

    def worker_setup(self, worker_ctx) -> None:
        first = worker_ctx.args[0] if worker_ctx.args else worker_ctx.kwargs.get("ctx")
        request_id = first.get("request_id") if isinstance(first, dict) else None
        self.calls[worker_ctx] = (set_request_id(request_id), time.monotonic())

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        _, started = self.calls.get(worker_ctx, (None, time.monotonic()))
        outcome = "ok" if exc_info is None else exc_info[0].__name__
        entrypoint = worker_ctx.entrypoint
        if exc_info is None and not result and entrypoint.method_name in self.quiet_when_idle:
            return
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
