"""The agency's failed events, gathered from every service that handles events.

Each service in the `EVENT_SERVICES` configuration offers `list_failed_events` and
`retry_failed_event` (kit.failed_events); this puts their pages together, newest failure first,
for the Settings page and `/api/v1/events/failed`.
"""

from __future__ import annotations

from flask import current_app

from gateway.rpc import services
from kit.errors import NotFound

SERVICE_PAGE = 100  # the most a service gives at once (kit.failed_events.MAX_PER_PAGE)


def event_services() -> list[str]:
    """The services with event handlers, by name."""
    return list(current_app.config["EVENT_SERVICES"])


def failed_events_page(status: str | None = None, page: int = 1, per_page: int = 25) -> dict:
    """One page over every event service's failed events: `{"items","total","page","per_page"}`.

    Each service gives its newest `page * per_page`, enough to place the page exactly."""
    merged, total = [], 0
    for name in event_services():
        items, count = _newest(name, status, page * per_page)
        merged += items
        total += count
    merged.sort(key=lambda item: (item["updated_at"], item["event_id"]), reverse=True)
    start = (page - 1) * per_page
    return {
        "items": merged[start : start + per_page],
        "total": total,
        "page": page,
        "per_page": per_page,
    }


def _newest(service: str, status: str | None, count: int) -> tuple[list[dict], int]:
    """The service's `count` newest failed events, and how many it has in all."""
    items, page = [], 1
    while True:
        answer = getattr(services, service).list_failed_events(
            status=status, page=page, per_page=SERVICE_PAGE
        )
        items += answer["items"]
        if len(items) >= count or len(answer["items"]) < SERVICE_PAGE:
            return items[:count], answer["total"]
        page += 1


def retry_failed_event(event_id: str, handler: str) -> dict:
    """Deliver one failed (or dead) event again now; its handler names the service."""
    service = str(handler).partition(".")[0]
    if service not in event_services():
        raise NotFound("No such failed event.")
    return getattr(services, service).retry_failed_event(event_id, handler)
