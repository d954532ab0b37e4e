"""The failed-events part of the API's schemas (kit.failed_events answers them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gateway.api.paging import Page, PageQuery


class FailedEventListQuery(PageQuery):
    status = fields.Str(
        validate=validate.OneOf(["retrying", "dead"]),
        metadata={"description": "retrying (will be tried again) or dead (tried enough)"},
    )


class FailedEventRetryRequest(Schema):
    handler = fields.Str(
        required=True,
        validate=validate.Length(min=3, max=200),
        metadata={"description": "The handler that failed, as listed (service.method)"},
    )


class FailedEvent(Schema):
    event_id = fields.UUID()
    handler = fields.Str(metadata={"description": "service.method that failed on it"})
    service = fields.Str(metadata={"description": "The service whose handler failed"})
    source_service = fields.Str(metadata={"description": "The service that sent the event"})
    event_type = fields.Str(metadata={"example": "contact_invited"})
    summary = fields.Str(metadata={"description": "What the event concerns (names, e-mail)"})
    error = fields.Str(metadata={"description": "Why the last attempt failed"})
    attempts = fields.Int()
    status = fields.Str(metadata={"description": "retrying or dead"})
    next_attempt_at = fields.DateTime(
        allow_none=True, metadata={"description": "When it is tried again (null when dead)"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FailedEventPage(Page):
    items = fields.List(fields.Nested(FailedEvent))
