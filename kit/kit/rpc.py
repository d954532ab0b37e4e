"""RPC with a timeout, everywhere: between services (`ServiceRpc`) and from the gateway
(`RpcClient`). A remote domain error comes back as the same domain error class; a service that
does not answer in time (or is not running), and a broker that cannot be reached, become
`ServiceUnavailable`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from kombu.common import maybe_declare
from kombu.exceptions import OperationalError as BrokerError
from kombu.messaging import Consumer
from nameko.constants import NON_PERSISTENT
from nameko.exceptions import RemoteError, RpcTimeout, UnknownService
from nameko.rpc import MethodProxy, RpcProxy
from nameko.rpc import ReplyListener as NamekoReplyListener
from nameko.standalone.rpc import (
    ClusterRpcProxy,
    PollingQueueConsumer,
    SingleThreadedReplyListener,
)

from kit.errors import ERRORS_BY_NAME, ServiceUnavailable
from kit.queues import quorum_if_configured

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
RPC_TIMEOUT_KEY = "RPC_TIMEOUT"
# How a request is published: confirmed (with `mandatory`, a service that is not running is
# `UnknownService` at once, not a wait for the timeout) but not persistent: a request is worth
# nothing once its caller has given up, so it need not outlive a broker restart (one that did
# would run with no one waiting for its answer).
REQUEST_OPTIONS = {"delivery_mode": NON_PERSISTENT}


def translate_remote_error(exc: RemoteError) -> Exception:
    """The local domain error for a remote one, or the RemoteError itself for anything else."""
    cls = ERRORS_BY_NAME.get(exc.exc_type)
    return cls.from_wire(exc.value) if cls else exc


def unavailable(service: str, reason: str = "did not answer in time") -> ServiceUnavailable:
    return ServiceUnavailable(
        f"The {service} service {reason}; please try again in a moment.",
        {"service": service},
    )


class _TimedMethod:
    def __init__(self, service: str, method, timeout: float):
        self.service, self.method, self.timeout = service, method, timeout

    def __call__(self, *args, **kwargs) -> Any:
        try:
            with eventlet.Timeout(self.timeout, unavailable(self.service)):
                return self.method(*args, **kwargs)
        except RemoteError as exc:
            raise translate_remote_error(exc) from None
        except UnknownService:
            raise unavailable(self.service) from None
        except (OSError, BrokerError, AMQPError) as exc:
            # The call could not be sent: RabbitMQ away, or (on a cluster) the queue's node
            # just lost and its new leader not yet elected, which refuses (nacks) the request.
            log.debug("rpc to %s failed: %s: %s", self.service, type(exc).__name__, exc)
            raise unavailable(self.service, f"cannot be reached ({type(exc).__name__})") from None


class _TimedProxy:
    def __init__(self, service: str, proxy, timeout: float):
        self._service, self._proxy, self._timeout = service, proxy, timeout

    def __getattr__(self, name: str) -> _TimedMethod:
        return _TimedMethod(self._service, getattr(self._proxy, name), self._timeout)


class ReplyListener(NamekoReplyListener):
    """A service's reply queue for its calls to others, a quorum queue on a cluster (kit.queues)."""

    def setup(self) -> None:
        super().setup()
        # Declared when the service's consumer connects, after every extension's setup.
        quorum_if_configured(self.queue, self.container.config)


class _ReplyConsumer(PollingQueueConsumer):
    """nameko's standalone reply consumer, but a connection lost while waiting for a reply ends
    the call with the connection's error: `RpcClient` answers 503 at once and starts a fresh
    proxy, where nameko's would reconnect in place, on a connection half torn down, and often
    wait out the whole timeout. Replies are taken without acks: the reply queue is the
    caller's own, so an ack (one more write a call) guards nothing; a reply that comes after
    its call gave up is dropped as before (the proxy is started afresh)."""

    def _setup_consumer(self) -> None:  # nameko 2.14's, with no_ack=True
        if self.consumer is not None:
            with contextlib.suppress(OSError):  # the connection already gone
                self.consumer.cancel()
        channel = self.connection.channel()
        self.queue = self.queue.bind(channel)
        maybe_declare(self.queue, channel)
        consumer = Consumer(channel, queues=[self.queue], accept=self.accept, no_ack=True)
        consumer.callbacks = [self.on_message]
        consumer.consume()
        self.consumer = consumer

    def ack_message(self, msg) -> None:
        pass

    def register_provider(self, provider) -> None:
        # It declares the reply queue now.
        quorum_if_configured(provider.queue, provider.container.config)
        super().register_provider(provider)

    def get_message(self, correlation_id) -> None:
        try:
            while correlation_id not in self.replies:
                self.consumer.connection.drain_events(timeout=self.timeout)
        except TimeoutError:
            # The proxy is dropped after a timeout (`RpcClient.call`): no need to reconnect.
            self.provider._reply_events.pop(correlation_id).send_exception(RpcTimeout(self.timeout))
            return
        body, message = self.replies.pop(correlation_id)
        self.provider.handle_message(body, message)

    def connection_lost(self) -> bool:
        """Whether the broker has closed this consumer's connection, seen without waiting (a
        node lost, a broker restarted while the proxy sat idle)."""
        try:
            self.consumer.connection.drain_events(timeout=0)
        except TimeoutError:  # nothing to read: the connection is there
            return False
        except (OSError, BrokerError, AMQPError):
            return True
        return False


class _StandaloneReplyListener(SingleThreadedReplyListener):
    """The reply queue of `RpcClient`, a quorum queue on a cluster (kit.queues)."""

    def __init__(self, timeout=None):
        super().__init__(timeout=timeout)
        self.queue_consumer = _ReplyConsumer(timeout=timeout)


class ServiceRpc(RpcProxy):
    """nameko's RpcProxy dependency with a timeout (the plain one waits forever)."""

    rpc_reply_listener = ReplyListener()

    def __init__(self, target_service: str, **options):
        super().__init__(target_service, **{**REQUEST_OPTIONS, **options})

    def get_dependency(self, worker_ctx) -> _TimedProxy:
        timeout = float(self.container.config.get(RPC_TIMEOUT_KEY, DEFAULT_TIMEOUT))
        return _TimedProxy(self.target_service, super().get_dependency(worker_ctx), timeout)


class RpcClient:
    """RPC from outside nameko (the gateway, scripts): one started proxy per thread.

    `ClusterRpcProxy` declares a reply queue when it starts, so a proxy is kept per thread and
    reused rather than built per request; so is each method's proxy (nameko builds one, and its
    publisher, at every attribute access).
    """

    def __init__(self, config: dict, timeout: float = DEFAULT_TIMEOUT):
        self.config = config
        self.timeout = timeout
        self._local = threading.local()

    def _cluster(self):
        cluster = getattr(self._local, "cluster", None)
        if cluster is not None and self._local.replies.connection_lost():
            # Found before sending rather than after: the call goes out on a fresh proxy.
            self._reset()
            cluster = None
        if cluster is None:
            self._local.runner = ClusterRpcProxy(
                self.config, timeout=self.timeout, reply_listener_cls=_StandaloneReplyListener
            )
            self._local.methods = {}
            cluster = self._local.cluster = self._local.runner.start()
            self._local.replies = self._local.runner._reply_listener.queue_consumer
        return cluster

    def _method(self, service: str, method: str) -> MethodProxy:
        self._cluster()
        proxy = self._local.methods.get((service, method))
        if proxy is None:
            runner = self._local.runner
            proxy = self._local.methods[service, method] = MethodProxy(
                runner._worker_ctx, service, method, runner._reply_listener, **REQUEST_OPTIONS
            )
        return proxy

    def _reset(self) -> None:
        runner = getattr(self._local, "runner", None)
        self._local.cluster = self._local.runner = self._local.methods = None
        if runner is not None:
            try:
                runner.stop()
            except Exception:  # the connection is already gone; nothing to close
                log.debug("closing a broken rpc proxy failed", exc_info=True)

    def call(self, service: str, method: str, *args, **kwargs) -> Any:
        """Call `service.method(*args, **kwargs)`; raise the remote domain error if any."""
        try:
            return self._method(service, method)(*args, **kwargs)
        except RemoteError as exc:
            raise translate_remote_error(exc) from None
        except (RpcTimeout, UnknownService):
            # A reply that comes after the timeout would confuse the next call: start afresh.
            self._reset()
            raise unavailable(service) from None
        except (OSError, BrokerError, AMQPError) as exc:
            # RabbitMQ away (refused, reset, closed): the next call starts a fresh proxy.
            self._reset()
            # The caller logs the ServiceUnavailable (one line); the cause is here for debugging.
            log.debug("rpc to %s.%s failed: %s: %s", service, method, type(exc).__name__, exc)
            raise unavailable(service, f"cannot be reached ({type(exc).__name__})") from None

    def close(self) -> None:
        self._reset()
