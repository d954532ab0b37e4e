"""The requests part of the API's schemas: requests the team logs and clients send, and the
client portal's own sign-in and profile.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.client_schemas import ClientProfile
from gateway.api.paging import Page, PageQuery
from gateway.api.schema_fields import Id, Length, OneOf, Schema
from kit import vocabulary

REQUEST_STATUS = OneOf(vocabulary.REQUEST_STATUSES)


# --- query strings -------------------------------------------------------------------------


class RequestListQuery(PageQuery):
    client_id = fields.Str()
    status = fields.Str(validate=REQUEST_STATUS)


# --- request bodies ------------------------------------------------------------------------


class RequestStatusRequest(Schema):
    status = fields.Str(required=True, validate=REQUEST_STATUS)


class PortalRequestCreate(Schema):
    title = fields.Str(required=True, validate=Length(min=1, max=200))
    description = fields.Str(validate=Length(max=10000))
    service_name = fields.Str(validate=Length(max=200), allow_none=True)


class RequestCreateRequest(PortalRequestCreate):
    """A request the team logs on a client's behalf."""

    client_id = Id(required=True)
    contact_id = Id(allow_none=True, metadata={"description": "One of the client's contacts"})


class PortalLoginRequest(Schema):
    email = fields.Str(required=True, validate=Length(min=1, max=320))
    password = fields.Str(required=True, load_only=True, validate=Length(min=1, max=128))


class AcceptInvitationRequest(Schema):
    token = fields.Str(required=True, validate=Length(min=1, max=200))
    password = fields.Str(required=True, load_only=True, validate=Length(min=1, max=128))


# --- responses -----------------------------------------------------------------------------


class ClientRequest(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    client_name = fields.Str()
    contact_id = fields.UUID(allow_none=True)
    contact_name = fields.Str(allow_none=True)
    title = fields.Str()
    description = fields.Str()
    service_name = fields.Str(allow_none=True)
    status = fields.Str(metadata={"description": "open, in_progress, done or cancelled"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ClientRequestPage(Page):
    items = fields.List(fields.Nested(ClientRequest))


class PortalClient(ClientProfile):
    contact = fields.Dict(allow_none=True)
