"""The contacts part of the API's schemas: contacts across clients and per client, and their
portal invitations.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.client_schemas import LIST_STATUS, tags
from gateway.api.paging import Page, PageQuery, SeekPage, SeekPageQuery
from gateway.api.schema_fields import Email, Id, Length, OneOf, Schema
from kit import vocabulary

INVITATION_STATUS = OneOf([*vocabulary.INVITATION_STATUSES, "all"])


# --- query strings -------------------------------------------------------------------------


class ContactListQuery(SeekPageQuery):
    q = fields.Str(metadata={"description": "Matches name, e-mail, position or client name"})
    client_id = fields.Str()
    tag = fields.Str()
    account_manager_id = fields.Str()
    status = fields.Str(validate=LIST_STATUS, metadata={"description": "The client's status"})
    sort = fields.Str(
        load_default=vocabulary.DEFAULT_SORT,
        validate=OneOf(vocabulary.sort_values(vocabulary.CONTACT_SORT_KEYS)),
    )


class InvitationListQuery(PageQuery):
    status = fields.Str(load_default="pending", validate=INVITATION_STATUS)


# --- request bodies ------------------------------------------------------------------------


class ContactCreateRequest(Schema):
    name = fields.Str(required=True, validate=Length(min=1, max=200))
    email = Email(required=True)
    client_id = Id(
        allow_none=True,
        metadata={"description": "Omit when the agency has exactly one client, or give new_client"},
    )
    new_client = fields.Str(
        allow_none=True,
        validate=Length(min=2, max=200),
        metadata={"description": "Create this client on the fly (its name)"},
    )
    position = fields.Str(validate=Length(max=200))
    phone = fields.Str(validate=Length(max=50))
    tags = tags()
    avatar_base64 = fields.Str(load_only=True)
    invite = fields.Bool(load_default=False, metadata={"description": "Send a portal invitation"})
    invitation_message = fields.Str(validate=Length(max=2000), allow_none=True)


class ClientContactCreateRequest(ContactCreateRequest):
    """The same without the client: it is the one in the path."""

    class Meta:
        exclude = ("client_id", "new_client")


class ContactUpdateRequest(Schema):
    name = fields.Str(validate=Length(min=1, max=200))
    email = Email()
    client_id = Id(metadata={"description": "Move the contact to another client"})
    position = fields.Str(validate=Length(max=200))
    phone = fields.Str(validate=Length(max=50))
    tags = tags()
    avatar_base64 = fields.Str(
        load_only=True, allow_none=True, metadata={"description": "null removes"}
    )


class InvitationRequest(Schema):
    message = fields.Str(
        validate=Length(max=2000),
        allow_none=True,
        metadata={"description": "Welcome text"},
    )


# --- responses -----------------------------------------------------------------------------


class InvitationSummary(Schema):
    id = fields.UUID()
    contact_id = fields.UUID()
    contact_name = fields.Str()
    email = fields.Str()
    client_id = fields.UUID()
    client_name = fields.Str()
    status = fields.Str(metadata={"description": "pending, expired, accepted or cancelled"})
    message = fields.Str()
    invited_by = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    sent_at = fields.DateTime()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)


class InvitationPage(Page):
    items = fields.List(fields.Nested(InvitationSummary))


class Contact(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    client_name = fields.Str()
    name = fields.Str()
    email = fields.Str()
    position = fields.Str()
    phone = fields.Str()
    tags = fields.List(fields.Str())
    has_avatar = fields.Bool()
    portal_status = fields.Str(metadata={"description": "none, invited or active"})
    portal_ended = fields.Bool(
        metadata={"description": "Archiving the client ended its portal access (re-invite it)"}
    )
    archived = fields.Bool()
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_activity_at = fields.DateTime()
    invitation = fields.Nested(InvitationSummary, metadata={"description": "When invite=true"})


class ContactPage(SeekPage):
    items = fields.List(fields.Nested(Contact))
