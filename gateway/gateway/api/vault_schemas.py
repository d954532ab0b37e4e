"""The credential vault part of the API's schemas: entries (never their passwords) and the
audit of reveals.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.client_schemas import TEXT
from gateway.api.paging import Page, PageQuery
from gateway.api.schema_fields import Length, Schema

# --- query strings -------------------------------------------------------------------------


class RevealListQuery(PageQuery):
    client_id = fields.Str(metadata={"description": "Only this client's reveals"})


# --- request bodies ------------------------------------------------------------------------


class VaultEntryRequest(Schema):
    label = fields.Str(required=True, validate=Length(min=1, max=200))
    url = fields.Str(validate=Length(max=500))
    username = fields.Str(validate=Length(max=200))
    password = fields.Str(load_only=True, validate=Length(max=1000))
    notes = fields.Str(validate=TEXT)


# --- responses -----------------------------------------------------------------------------


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


class VaultEntryPage(Page):
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


class VaultRevealPage(Page):
    items = fields.List(fields.Nested(VaultReveal))
