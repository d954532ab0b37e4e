"""The clients part of the API's schemas: clients, their CSV import, custom fields and tags.
Request bodies and query strings are loaded (validated) with them; response schemas describe
what the clients service answers, for the OpenAPI document. Deeper rules (name uniqueness, plan
limits, image content) are the service's.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.paging import Page, SeekPage, SeekPageQuery
from gateway.api.schema_fields import Id, Length, OneOf, Schema
from kit import vocabulary

CLIENT_STATUS = OneOf(vocabulary.CLIENT_STATUSES)
LIST_STATUS = OneOf(vocabulary.LIST_STATUSES)
TEXT = Length(max=5000)


def tags():
    """A list of tags, each at most 60 characters."""
    return fields.List(fields.Str(validate=Length(max=60)), metadata={"example": ["retail"]})


# --- query strings -------------------------------------------------------------------------


class ClientListQuery(SeekPageQuery):
    q = fields.Str(metadata={"description": "Matches name, website or description"})
    status = fields.Str(validate=LIST_STATUS, metadata={"description": "Default: active+inactive"})
    tag = fields.Str()
    account_manager_id = fields.Str()
    field = fields.Str(metadata={"description": "A custom field's id, to filter on with value"})
    value = fields.Str(metadata={"description": "The custom field's value to match"})
    sort = fields.Str(
        load_default=vocabulary.DEFAULT_SORT,
        validate=OneOf(vocabulary.sort_values(vocabulary.CLIENT_SORT_KEYS)),
        metadata={"description": "created_at, name, last_activity, contact_count; '-' = desc"},
    )


# --- request bodies ------------------------------------------------------------------------


class ClientCreateRequest(Schema):
    name = fields.Str(required=True, validate=Length(min=2, max=200))
    description = fields.Str(validate=TEXT)
    website = fields.Str(validate=Length(max=500))
    address = fields.Str(validate=Length(max=1000))
    tags = tags()
    custom_fields = fields.Dict(
        keys=fields.Str(),
        metadata={"description": "{custom field id: value}; null or '' clears a value"},
    )
    account_manager_ids = fields.List(Id(), metadata={"description": "Team user ids"})
    status = fields.Str(validate=CLIENT_STATUS)
    logo_base64 = fields.Str(
        load_only=True, metadata={"description": "A JPG or PNG of at most 2 MB, base64-encoded"}
    )


class ClientUpdateRequest(Schema):
    name = fields.Str(validate=Length(min=2, max=200))
    description = fields.Str(validate=TEXT)
    website = fields.Str(validate=Length(max=500))
    address = fields.Str(validate=Length(max=1000))
    tags = tags()
    custom_fields = fields.Dict(keys=fields.Str())
    account_manager_ids = fields.List(Id())
    logo_base64 = fields.Str(
        load_only=True, allow_none=True, metadata={"description": "null removes"}
    )


class ClientStatusRequest(Schema):
    status = fields.Str(required=True, validate=CLIENT_STATUS)


class ImportRequest(Schema):
    kind = fields.Str(load_default="clients", validate=OneOf(vocabulary.IMPORT_KINDS))
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
    skip_updates = fields.Bool(
        load_default=False,
        metadata={"description": "Create new records only; rows matching one change nothing"},
    )


class CustomFieldRequest(Schema):
    name = fields.Str(required=True, validate=Length(min=1, max=100))
    type = fields.Str(required=True, validate=OneOf(vocabulary.FIELD_TYPES))
    choices = fields.List(fields.Str(validate=Length(min=1, max=100)))
    required = fields.Bool(
        load_default=False, metadata={"description": "Every client must have a value"}
    )


class CustomFieldUpdateRequest(Schema):
    name = fields.Str(validate=Length(min=1, max=100))
    choices = fields.List(
        fields.Str(validate=Length(min=1, max=100)),
        metadata={"description": "A choice field's choices (the type never changes)"},
    )
    required = fields.Bool(
        metadata={
            "description": "Every client must have a value (existing clients are asked for it "
            "the next time their custom fields are edited)"
        }
    )


# --- responses -----------------------------------------------------------------------------


class ClientProfile(Schema):
    """What a client's own portal sees of it; the team sees more (Client)."""

    id = fields.UUID()
    name = fields.Str()
    description = fields.Str()
    website = fields.Str()
    address = fields.Str()
    status = fields.Str(metadata={"description": "active or inactive"})
    has_logo = fields.Bool(metadata={"description": "GET /clients/{id}/logo serves it"})


class BillingContact(Schema):
    id = fields.Str()
    name = fields.Str()
    email = fields.Str()
    chosen = fields.Bool(metadata={"description": "False: the client's first contact"})


class BillingContactRequest(Schema):
    contact_id = Id(
        required=True,
        allow_none=True,
        metadata={"description": "One of the client's contacts; null: its first contact"},
    )


class Client(ClientProfile):
    billing_contact = fields.Nested(
        BillingContact,
        allow_none=True,
        metadata={"description": "Whom invoices, receipts and card links reach (none: no contact)"},
    )
    tags = fields.List(fields.Str())
    custom_fields = fields.Dict(metadata={"description": "{custom field id: value}"})
    account_manager_ids = fields.List(fields.Str())
    archived = fields.Bool()
    archived_at = fields.DateTime(allow_none=True)
    contact_count = fields.Int()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    last_activity_at = fields.DateTime()


class ClientPage(SeekPage):
    items = fields.List(fields.Nested(Client))


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
    new = fields.Int(metadata={"description": "Rows the import will create"})
    updated = fields.Int(metadata={"description": "Existing records the import will change"})
    unchanged = fields.Int(metadata={"description": "Rows that match a record and change nothing"})
    updated_fields = fields.Dict(
        keys=fields.Str(),
        values=fields.Int(),
        metadata={"description": "{field label: how many existing records it changes in}"},
    )


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
    skip_updates = fields.Bool()
    error_count = fields.Int()
    errors = fields.List(fields.Nested(ImportRowError))
    failure = fields.Str(allow_none=True)
    created_by = fields.Str(allow_none=True, metadata={"description": "The user who started it"})
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class CustomField(Schema):
    id = fields.UUID()
    name = fields.Str()
    type = fields.Str(metadata={"description": "text, number, date or choice"})
    choices = fields.List(fields.Str())
    required = fields.Bool()
    created_at = fields.DateTime()


class CustomFieldPage(Page):
    items = fields.List(fields.Nested(CustomField))


class Tag(Schema):
    name = fields.Str()
    client_count = fields.Int()
    contact_count = fields.Int(metadata={"description": "Contacts tagged with it themselves"})


class TagPage(Page):
    items = fields.List(fields.Nested(Tag))
