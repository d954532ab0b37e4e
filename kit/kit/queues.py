"""Which kind of RabbitMQ queue the system declares: the one place it is decided.

On one RabbitMQ node every queue is nameko's default, a classic queue. On a RabbitMQ cluster
set `QUORUM_QUEUES=1` (every service and the gateway, the same value) with every node in
`AMQP_URI`, and every queue nameko declares durable is a quorum queue (`x-queue-type: quorum`),
replicated on the nodes, so that losing one node loses no request, event or reply and a consumer
that connects to another node finds its queue there (a new leader is elected within a second):

- a service's RPC queue (`rpc-<service>`) and each event handler's queue
  (`evt-<source>-<event>--<service>.<method>`), shared by the service's replicas;
- each caller's reply queue (`rpc.reply-...`, one per process; it expires 5 minutes after its
  caller is gone, as nameko declares it). A classic one would not do on a cluster: durable, it
  lives on one node, and once that node is lost no other will declare it again (404 "home node
  ... is down"); transient, it is deleted with its node, possibly after its caller, quick to
  reconnect, had declared it again, leaving the caller deaf to every reply.

Only a durable, non-exclusive, non-auto-delete queue can be a quorum queue; any other stays
classic. A queue's type cannot change once declared: switching a running system means new
queues (a new vhost, or the old ones deleted once empty) (deploy/README.md).
"""

from __future__ import annotations

from typing import Any

from kombu import Queue

QUORUM_QUEUES_KEY = "QUORUM_QUEUES"
_TRUE = {"1", "true", "yes", "on"}


def quorum_queues(config: dict[str, Any]) -> bool:
    """Whether the configuration asks for quorum queues (`QUORUM_QUEUES`: 1/true/yes/on)."""
    value = config.get(QUORUM_QUEUES_KEY)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in _TRUE


def quorum_if_configured(queue: Queue, config: dict[str, Any]) -> Queue:
    """`queue`, made a quorum queue when the configuration asks for it and it can be one."""
    if quorum_queues(config) and queue.durable and not queue.exclusive and not queue.auto_delete:
        queue.queue_arguments = {**(queue.queue_arguments or {}), "x-queue-type": "quorum"}
    return queue
