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
# The inbox also filters on "open_any": open or in progress, what still needs the team.
INBOX_STATUS = OneOf((*vocabulary.REQUEST_STATUSES, "open_any"))


# --- query strings -------------------------------------------------------------------------


class RequestListQuery(PageQuery):
    client_id = fields.Str()
    status = fields.Str(
        validate=INBOX_STATUS,
        metadata={"description": "open, in_progress, done, cancelled, or open_any (the first two)"},
    )
    assignee_id = fields.Str(
        validate=Length(max=64), metadata={"description": "A team member's id, or none"}
    )
    account_manager_id = fields.Str(
        validate=Length(max=64), metadata={"description": "The client's account manager"}
    )
    contact_id = fields.Str()
    unread = fields.Bool(metadata={"description": "Only those with something you have not read"})


# --- request bodies ------------------------------------------------------------------------


class RequestStatusRequest(Schema):
    status = fields.Str(required=True, validate=REQUEST_STATUS)


class AttachmentUpload(Schema):
    """A file sent in JSON: its name and its bytes in base64 (at most 10 MB; PDF, images,
    Office files, ZIP or text, told by the content)."""

    filename = fields.Str(required=True, validate=Length(min=1, max=255))
    data_base64 = fields.Str(required=True, load_only=True)


ATTACHMENTS = fields.List(
    fields.Nested(AttachmentUpload), validate=Length(max=5), load_default=None
)


class PortalRequestCreate(Schema):
    title = fields.Str(required=True, validate=Length(min=1, max=200))
    description = fields.Str(validate=Length(max=10000))
    service_name = fields.Str(validate=Length(max=200), allow_none=True)
    attachments = ATTACHMENTS


class CommentCreateRequest(Schema):
    """A comment (both sides see it), with files if any; a comment needs text or a file."""

    body = fields.Str(validate=Length(max=20000), load_default="")
    attachments = ATTACHMENTS


class AssignRequest(Schema):
    assignee_id = Id(
        required=True, allow_none=True, metadata={"description": "A team member; null: nobody"}
    )


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
    assignee_id = fields.Str(allow_none=True, metadata={"description": "The team member's id"})
    unread = fields.Bool(
        metadata={"description": "Team only: something was added since you last opened it"}
    )
    activity_at = fields.DateTime(metadata={"description": "When its thread last changed"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ClientRequestPage(Page):
    items = fields.List(fields.Nested(ClientRequest))


class Attachment(Schema):
    id = fields.UUID()
    request_id = fields.UUID()
    comment_id = fields.UUID(allow_none=True, metadata={"description": "null: on the request"})
    filename = fields.Str()
    content_type = fields.Str()
    size = fields.Int(metadata={"description": "Bytes"})
    created_at = fields.DateTime()


class RequestComment(Schema):
    id = fields.UUID()
    request_id = fields.UUID()
    kind = fields.Str(
        metadata={"description": "comment, note (team only) or status (a status change)"}
    )
    author_kind = fields.Str(metadata={"description": "user (the team) or contact"})
    author_id = fields.Str(allow_none=True)
    author_name = fields.Str()
    body = fields.Str()
    old_status = fields.Str(allow_none=True)
    status = fields.Str(allow_none=True)
    attachments = fields.List(fields.Nested(Attachment))
    created_at = fields.DateTime()


class RequestThread(ClientRequest):
    """A request with its own files and its thread, oldest first (a contact sees no note)."""

    account_manager_ids = fields.List(fields.Str(), metadata={"description": "Team only"})
    attachments = fields.List(fields.Nested(Attachment))
    thread = fields.List(fields.Nested(RequestComment))


class RequestCommentPage(Page):
    items = fields.List(fields.Nested(RequestComment))


class RequestCounts(Schema):
    open = fields.Int(metadata={"description": "Open or in progress"})
    unread = fields.Int(metadata={"description": "Of those, with something you have not read"})
    assigned_to_me = fields.Int(metadata={"description": "Of those, assigned to you"})


class PortalClient(ClientProfile):
    contact = fields.Dict(allow_none=True)
