"""The clients part of the API's schemas: request bodies and query strings are loaded
(validated) with them; response schemas describe what the clients service answers, for the
OpenAPI document. Deeper rules (name uniqueness, plan limits, image content) are the service's.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from kit import vocabulary

CLIENT_STATUS = validate.OneOf(vocabulary.CLIENT_STATUSES)
LIST_STATUS = validate.OneOf(vocabulary.LIST_STATUSES)
REQUEST_STATUS = validate.OneOf(vocabulary.REQUEST_STATUSES)
INVITATION_STATUS = validate.OneOf([*vocabulary.INVITATION_STATUSES, "all"])
PER_PAGE = validate.Range(min=1, max=100)
PAGE = validate.Range(min=1, max=100_000)  # the service's MAX_PAGE: far past any real list
TEXT = validate.Length(max=5000)
ID = fields.Str  # ids are checked by the service: a malformed or foreign id is "not found"


def _tags():
    return fields.List(
        fields.Str(validate=validate.Length(max=60)), metadata={"example": ["retail"]}
    )


# --- query strings -------------------------------------------------------------------------


class PageQuery(Schema):
    page = fields.Int(load_default=1, validate=PAGE)
    per_page = fields.Int(load_default=25, validate=PER_PAGE)


class ClientListQuery(PageQuery):
    q = fields.Str(metadata={"description": "Matches name, website or description"})
    status = fields.Str(validate=LIST_STATUS, metadata={"description": "Default: active+inactive"})
    tag = fields.Str()
    account_manager_id = fields.Str()
    field = fields.Str(metadata={"description": "A custom field's id, to filter on with value"})
    value = fields.Str(metadata={"description": "The custom field's value to match"})
    sort = fields.Str(
        load_default=vocabulary.DEFAULT_SORT,
        validate=validate.OneOf(vocabulary.sort_values(vocabulary.CLIENT_SORT_KEYS)),
        metadata={"description": "created_at, name, last_activity, contact_count; '-' = desc"},
    )


class ContactListQuery(PageQuery):
    q = fields.Str(metadata={"description": "Matches name, e-mail, position or client name"})
    client_id = fields.Str()
    tag = fields.Str()
    account_manager_id = fields.Str()
    status = fields.Str(validate=LIST_STATUS, metadata={"description": "The client's status"})
    sort = fields.Str(
        load_default=vocabulary.DEFAULT_SORT,
        validate=validate.OneOf(vocabulary.sort_values(vocabulary.CONTACT_SORT_KEYS)),
    )


class RequestListQuery(PageQuery):
    client_id = fields.Str()
    status = fields.Str(validate=REQUEST_STATUS)


class InvitationListQuery(PageQuery):
    status = fields.Str(load_default="pending", validate=INVITATION_STATUS)


class RevealListQuery(Schema):
    client_id = fields.Str()
    limit = fields.Int(load_default=200, validate=validate.Range(min=1, max=1000))


# --- request bodies ------------------------------------------------------------------------


class ClientCreateRequest(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=2, max=200))
    description = fields.Str(validate=TEXT)
    website = fields.Str(validate=validate.Length(max=500))
    address = fields.Str(validate=validate.Length(max=1000))
    tags = _tags()
    custom_fields = fields.Dict(
        keys=fields.Str(),
        metadata={"description": "{custom field id: value}; null or '' clears a value"},
    )
    account_manager_ids = fields.List(fields.Str(), metadata={"description": "Team user ids"})
    status = fields.Str(validate=CLIENT_STATUS)
    logo_base64 = fields.Str(
        load_only=True, metadata={"description": "A JPG or PNG of at most 2 MB, base64-encoded"}
    )


class ClientUpdateRequest(Schema):
    name = fields.Str(validate=validate.Length(min=2, max=200))
    description = fields.Str(validate=TEXT)
    website = fields.Str(validate=validate.Length(max=500))
    address = fields.Str(validate=validate.Length(max=1000))
    tags = _tags()
    custom_fields = fields.Dict(keys=fields.Str())
    account_manager_ids = fields.List(fields.Str())
    logo_base64 = fields.Str(
        load_only=True, allow_none=True, metadata={"description": "null removes"}
    )


class ClientStatusRequest(Schema):
    status = fields.Str(required=True, validate=CLIENT_STATUS)


class ImportRequest(Schema):
    kind = fields.Str(load_default="clients", validate=validate.OneOf(vocabulary.IMPORT_KINDS))
    csv = fields.Str(required=True, metadata={"description": "The CSV file's text"})
    mapping = fields.Dict(
        keys=fields.Str(),
        values=fields.Str(allow_none=True),
        allow_none=True,
        metadata={"description": "{column header: field}; omitted: suggested from the headers"},
    )
    preview = fields.Bool(
        load_default=False, metadata={"description": "Check only, import nothing"}
    )


class ContactCreateRequest(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Str(required=True, validate=validate.Length(min=3, max=320))
    client_id = fields.Str(
        allow_none=True,
        metadata={"description": "Omit when the agency has exactly one client, or give new_client"},
    )
    new_client = fields.Str(
        allow_none=True,
        validate=validate.Length(min=2, max=200),
        metadata={"description": "Create this client on the fly (its name)"},
    )
    position = fields.Str(validate=validate.Length(max=200))
    phone = fields.Str(validate=validate.Length(max=50))
    tags = _tags()
    avatar_base64 = fields.Str(load_only=True)
    invite = fields.Bool(load_default=False, metadata={"description": "Send a portal invitation"})
    invitation_message = fields.Str(validate=validate.Length(max=2000), allow_none=True)


class ClientContactCreateRequest(ContactCreateRequest):
    """The same without the client: it is the one in the path."""

    class Meta:
        exclude = ("client_id", "new_client")


class ContactUpdateRequest(Schema):
    name = fields.Str(validate=validate.Length(min=1, max=200))
    email = fields.Str(validate=validate.Length(min=3, max=320))
    client_id = fields.Str(metadata={"description": "Move the contact to another client"})
    position = fields.Str(validate=validate.Length(max=200))
    phone = fields.Str(validate=validate.Length(max=50))
    tags = _tags()
    avatar_base64 = fields.Str(
        load_only=True, allow_none=True, metadata={"description": "null removes"}
    )


class InvitationRequest(Schema):
    message = fields.Str(
        validate=validate.Length(max=2000),
        allow_none=True,
        metadata={"description": "Welcome text"},
    )


class VaultEntryRequest(Schema):
    label = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    url = fields.Str(validate=validate.Length(max=500))
    username = fields.Str(validate=validate.Length(max=200))
    password = fields.Str(load_only=True, validate=validate.Length(max=1000))
    notes = fields.Str(validate=TEXT)


class RequestStatusRequest(Schema):
    status = fields.Str(required=True, validate=REQUEST_STATUS)


class PortalRequestCreate(Schema):
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    description = fields.Str(validate=validate.Length(max=10000))
    service_name = fields.Str(validate=validate.Length(max=200), allow_none=True)


class RequestCreateRequest(PortalRequestCreate):
    """A request the team logs on a client's behalf."""

    client_id = ID(required=True)
    contact_id = ID(allow_none=True, metadata={"description": "One of the client's contacts"})


class CustomFieldRequest(Schema):
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    type = fields.Str(required=True, validate=validate.OneOf(vocabulary.FIELD_TYPES))
    choices = fields.List(fields.Str(validate=validate.Length(min=1, max=100)))


class PortalLoginRequest(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=320))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=1, max=128))


class AcceptInvitationRequest(Schema):
    token = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    password = fields.Str(required=True, load_only=True, validate=validate.Length(min=1, max=128))


# --- responses -----------------------------------------------------------------------------


class Page(Schema):
    """What every list answers around its items (a subclass names the items' schema)."""

    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()


class ClientProfile(Schema):
    """What a client's own portal sees of it; the team sees more (Client)."""

    id = fields.UUID()
    name = fields.Str()
    description = fields.Str()
    website = fields.Str()
    address = fields.Str()
    status = fields.Str(metadata={"description": "active or inactive"})
    has_logo = fields.Bool(metadata={"description": "GET /clients/{id}/logo serves it"})


class Client(ClientProfile):
    tags = fields.List(fields.Str())
    custom_fields = fields.Dict(metadata={"description": "{custom field id: value}"})
    account_manager_ids = fields.List(fields.Str())
    archived = fields.Bool()
    archived_at = fields.DateTime(allow_none=True)
    contact_count = fields.Int()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_activity_at = fields.DateTime()


class ClientPage(Page):
    items = fields.List(fields.Nested(Client))


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
    archived = fields.Bool()
    archived_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_activity_at = fields.DateTime()
    invitation = fields.Nested(InvitationSummary, metadata={"description": "When invite=true"})


class ContactPage(Page):
    items = fields.List(fields.Nested(Contact))


class ImportRowError(Schema):
    line = fields.Int(metadata={"description": "The line of the file"})
    reason = fields.Str()


class ImportField(Schema):
    name = fields.Str()
    label = fields.Str()
    required = fields.Bool()


class ImportPreview(Schema):
    kind = fields.Str()
    columns = fields.List(fields.Str())
    mapping = fields.Dict(metadata={"description": "{column: field or null}, as used"})
    suggested_mapping = fields.Dict()
    fields_ = fields.List(fields.Nested(ImportField), data_key="fields")
    missing_fields = fields.List(fields.Str())
    total_rows = fields.Int()
    rows = fields.List(fields.Dict(), metadata={"description": "The first rows: {line, values}"})
    errors = fields.List(fields.Nested(ImportRowError))
    error_count = fields.Int()


class ImportJob(Schema):
    id = fields.UUID()
    kind = fields.Str()
    status = fields.Str(metadata={"description": "queued, running, done or failed"})
    filename = fields.Str(allow_none=True, metadata={"description": "The uploaded file's name"})
    size = fields.Int(metadata={"description": "The file's size in bytes"})
    total = fields.Int()
    processed = fields.Int()
    created = fields.Int()
    updated = fields.Int()
    unchanged = fields.Int()
    error_count = fields.Int()
    errors = fields.List(fields.Nested(ImportRowError))
    failure = fields.Str(allow_none=True)
    created_by = fields.Str(allow_none=True, metadata={"description": "The user who started it"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class VaultEntry(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    label = fields.Str()
    url = fields.Str()
    username = fields.Str()
    has_password = fields.Bool(metadata={"description": "Passwords are only given by reveal"})
    notes = fields.Str()
    created_by = fields.Str(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class VaultEntryList(Schema):
    items = fields.List(fields.Nested(VaultEntry))


class RevealedPassword(Schema):
    entry_id = fields.UUID()
    password = fields.Str()
    revealed_at = fields.DateTime()


class VaultReveal(Schema):
    id = fields.UUID()
    client_id = fields.UUID()
    entry_id = fields.UUID()
    entry_label = fields.Str()
    principal_id = fields.Str(metadata={"description": "The user who revealed it"})
    revealed_at = fields.DateTime()


class VaultRevealList(Schema):
    items = fields.List(fields.Nested(VaultReveal))


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


class CustomField(Schema):
    id = fields.UUID()
    name = fields.Str()
    type = fields.Str(metadata={"description": "text, number, date or choice"})
    choices = fields.List(fields.Str())
    created_at = fields.DateTime()


class CustomFieldList(Schema):
    items = fields.List(fields.Nested(CustomField))


class Tag(Schema):
    name = fields.Str()
    client_count = fields.Int()


class TagList(Schema):
    items = fields.List(fields.Nested(Tag))


class PortalClient(ClientProfile):
    contact = fields.Dict(allow_none=True)
