"""Group commit for usage draws: the draws of one client that arrive while one is running run
together next, in one statement and one commit (`usage.draw_many`).

One hot balance row allows one commit at a time (its lock is held through the commit's WAL
flush), so draws taken one per commit top out well under the RPC rate; taken in batches they
share the lock and the flush. No delay is added: the first draw of a client runs at once, the
ones that come meanwhile queue, and the first of the queue runs them all when it ends (a
leader's worker does not serve others' batches after its own).

Each draw keeps its own guarantees: the batch answers each item exactly as it would alone, in
arrival order. A batch that fails (the database away, a worker killed) answers its
waiting draws by running each alone (`usage.draw_one`): a draw the batch had committed answers
the same again through its idempotency key.
"""

from __future__ import annotations

from eventlet.event import Event
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from billing.ledger import usage

# More draws of one client than this in a queue wait for the next batch.
MAX_BATCH = 200
_LEAD = object()  # the waiter's turn to run the next batch
_ALONE = object()  # the batch failed: the waiter draws alone


class _Waiter:
    __slots__ = ("batch", "event", "params")

    def __init__(self, params: dict):
        self.params = params
        self.event = Event()
        self.batch: list[_Waiter] = []


class DrawBatches(DependencyProvider):
    """`draw(session, params)` for `usage.record_usage`: batched per (agency, client) within
    this service process (workers are green threads of one OS thread: no lock needed)."""

    def setup(self) -> None:
        # (agency, client) -> draws waiting for the running batch to end; absent: none runs.
        self.queues: dict[tuple[str, str], list[_Waiter]] = {}

    def get_dependency(self, worker_ctx):
        return self.draw

    def draw(self, session: Session, params: dict):
        key = (params["agency"], params["client"])
        me = _Waiter(params)
        queue = self.queues.get(key)
        if queue is None:
            self.queues[key] = []
            me.batch = [me]
        else:
            queue.append(me)
            try:
                answer = me.event.wait()
            except BaseException:  # the worker killed while it waited
                self._abandon(key, me)
                raise
            if answer is _ALONE:
                return usage.draw_one(session, params)
            if answer is not _LEAD:
                return answer
        return self._run(session, key, me)

    def _run(self, session: Session, key: tuple[str, str], me: _Waiter):
        batch = me.batch
        try:
            rows = usage.draw_many(session, [waiter.params for waiter in batch])
        except BaseException as exc:
            self._hand_on(key)
            for waiter in batch[1:]:
                waiter.event.send(_ALONE)
            if not isinstance(exc, Exception):
                raise
            session.rollback()
            return usage.draw_one(session, me.params)
        self._hand_on(key)
        for waiter, row in zip(batch[1:], rows[1:], strict=True):
            waiter.event.send(row)
        return rows[0]

    def _abandon(self, key: tuple[str, str], me: _Waiter) -> None:
        """A waiter that will not run: out of the queue, or its batch's others draw alone."""
        queue = self.queues.get(key)
        if queue is not None and me in queue:
            queue.remove(me)
        elif me.batch and me.batch[0] is me:
            for waiter in me.batch[1:]:
                waiter.event.send(_ALONE)
            self._hand_on(key)

    def _hand_on(self, key: tuple[str, str]) -> None:
        """The queue's first draw leads the next batch; no queue: no batch runs."""
        queue = self.queues.get(key)
        if not queue:
            self.queues.pop(key, None)
            return
        batch, rest = queue[:MAX_BATCH], queue[MAX_BATCH:]
        self.queues[key] = rest
        batch[0].batch = batch
        batch[0].event.send(_LEAD)
