"""The agency's failed events, from every service that handles events (manage_settings)."""

from __future__ import annotations

from gateway import failed_events
from gateway.api.base import api, json_body, query_args
from gateway.api.event_schemas import FailedEventListQuery, FailedEventRetryRequest
from gateway.auth import permission_required
from kit import permissions


@api.get("/events/failed")
@permission_required(permissions.MANAGE_SETTINGS)
def list_failed_events():
    """Events a service failed to handle: being retried, or dead (tried enough).
    ---
    get:
      tags: [events]
      summary: List failed and dead events, newest failure first
      parameters: [{in: query, schema: FailedEventListQuery}]
      responses:
        200: {description: A page of failed events, schema: FailedEventPage}
    """
    args = query_args(FailedEventListQuery)
    return failed_events.failed_events_page(args.get("status"), args["page"], args["per_page"])


@api.post("/events/failed/<event_id>/retry")
@permission_required(permissions.MANAGE_SETTINGS)
def retry_failed_event(event_id: str):
    """Deliver a failed or dead event to its handler again now.
    ---
    post:
      tags: [events]
      summary: Retry a failed or dead event now
      requestBody: FailedEventRetryRequest
      responses:
        200: {description: The event, due now, schema: FailedEvent}
    """
    body = json_body(FailedEventRetryRequest)
    return failed_events.retry_failed_event(event_id, body["handler"])
