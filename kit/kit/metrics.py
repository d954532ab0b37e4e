"""What a service tells the gateway's /metrics: its outbox backlog and its failed events.

`MetricsRpc` (mix into the service class, which has `db = Database()`; name it through the
module, `class S(metrics.MetricsRpc)`, like failed_events.FailedEventsRpc) offers
`service_metrics(ctx)`: `{"outbox_backlog": events written but not yet published,
"outbox_oldest_seconds": the age of the oldest of them (0 when none), "failed_events":
{"retrying": n, "dead": n}}`, over every agency (an operator's figure, no tenant data).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.context import Context
from kit.service import rpc
from kit.tables import FailedEvent, OutboxEvent


def service_metrics(session: Session, ctx: Context) -> dict:
    backlog, oldest = session.execute(
        select(
            func.count(),
            func.coalesce(func.extract("epoch", func.now() - func.min(OutboxEvent.created_at)), 0),
        ).where(OutboxEvent.published_at.is_(None))
    ).one()
    failed = dict(
        session.execute(select(FailedEvent.status, func.count()).group_by(FailedEvent.status)).all()
    )
    return {
        "outbox_backlog": int(backlog),
        "outbox_oldest_seconds": float(oldest),
        "failed_events": {status: int(failed.get(status, 0)) for status in ("retrying", "dead")},
    }


class MetricsRpc:
    @rpc
    def service_metrics(self, ctx: dict) -> dict:
        return self.db.read(service_metrics, ctx)
