"""Which kind of RabbitMQ queue each of the system's queues is: the one place it is decided.

On one RabbitMQ node every queue is nameko's default, a classic queue. On a RabbitMQ cluster
set `QUORUM_QUEUES=1` (every service and the gateway, the same value) and:

- the queues consumers share, a service's RPC queue (`rpc-<service>`) and each event handler's
  queue (`evt-<source>-<event>--<service>.<method>`), are quorum queues
  (`x-queue-type: quorum`): replicated on every node, so losing one node loses no request and no
  event, and consumers on the other nodes go on (a new leader is elected in about a second).
  Only a durable, non-exclusive, non-auto-delete queue can be one; any other stays classic.
- a caller's reply queue (one per process, `rpc.reply-...`) stays classic and becomes transient
  (not durable): a durable classic queue whose node is lost can be declared again on no other node
  (RabbitMQ answers 404 "home node ... is down") until that node is back, so a caller that fails
  over would find no reply queue; a transient one goes with its node and is declared afresh on
  the next.

A queue's type cannot change once declared: switching a running system means new queues (a new
vhost, or the old ones deleted when empty) (deploy/README.md).
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


def shared_queue(queue: Queue, config: dict[str, Any]) -> Queue:
    """A queue every replica consumes from (RPC, event handler): quorum when the configuration
    asks for it and the queue can be one."""
    if quorum_queues(config) and queue.durable and not queue.exclusive and not queue.auto_delete:
        queue.queue_arguments = {**(queue.queue_arguments or {}), "x-queue-type": "quorum"}
    return queue


def reply_queue(queue: Queue, config: dict[str, Any]) -> Queue:
    """A caller's own reply queue: classic; transient on a cluster (see the module's docstring)."""
    if quorum_queues(config):
        queue.durable = False
    return queue
