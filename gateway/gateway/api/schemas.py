"""The identity part of the API's schemas: request bodies are loaded (validated) with them, and
response schemas describe what identity answers, for the OpenAPI document.

Request schemas reject unknown fields (marshmallow's default) so a typo is an error, not a
silently ignored field. Deeper rules (password strength, e-mail uniqueness) are identity's.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.paging import Page, PageQuery
from gateway.api.schema_fields import Email, Id, Length, OneOf, Schema

NAME = Length(min=1, max=100)
PASSWORD = Length(min=1, max=128)
STATUS = OneOf(["active", "inactive"])


class Error(Schema):
    """Every failure: one code, a message a person can act on, and per-field messages."""

    class ErrorDetail(Schema):
        code = fields.Str(required=True, metadata={"example": "validation_error"})
        message = fields.Str(required=True)
        fields = fields.Dict(
            metadata={"description": "Field name -> message(s); empty when not about a field."}
        )

    error = fields.Nested(ErrorDetail, required=True)


# --- requests ------------------------------------------------------------------------------


class SignupRequest(Schema):
    agency_name = fields.Str(required=True, validate=NAME)
    owner_name = fields.Str(required=True, validate=NAME, metadata={"description": "Your name"})
    email = Email(required=True)
    password = fields.Str(required=True, validate=PASSWORD, load_only=True)


class SignupConfirmRequest(Schema):
    token = fields.Str(
        required=True,
        validate=Length(min=1, max=200),
        metadata={"description": "The token of the link in the signup e-mail"},
    )


class LoginRequest(Schema):
    email = fields.Str(required=True, validate=Length(min=1, max=254))
    password = fields.Str(required=True, validate=PASSWORD, load_only=True)


class ForgotPasswordRequest(Schema):
    email = fields.Str(required=True, validate=Length(min=1, max=254))


class ResetPasswordRequest(Schema):
    token = fields.Str(required=True, validate=Length(min=1, max=200))
    password = fields.Str(required=True, validate=PASSWORD, load_only=True)


class InvitationAcceptRequest(Schema):
    token = fields.Str(
        required=True,
        validate=Length(min=1, max=200),
        metadata={"description": "The token of the link e-mailed to the new (or changed) address"},
    )
    password = fields.Str(
        validate=PASSWORD,
        load_only=True,
        metadata={
            "description": "Your password: required when you were invited without one, "
            "optional (replaces it) when you were given one"
        },
    )


class ChangePasswordRequest(Schema):
    current_password = fields.Str(required=True, validate=PASSWORD, load_only=True)
    new_password = fields.Str(required=True, validate=PASSWORD, load_only=True)
    revoke_tokens = fields.Bool(
        load_default=False,
        metadata={
            "description": "Also revoke every API token of yours (other sessions end anyway)"
        },
    )


class TokenCreateRequest(Schema):
    name = fields.Str(required=True, validate=NAME, metadata={"example": "Zapier"})


class UserListQuery(PageQuery):
    status = fields.Str(validate=STATUS, metadata={"description": "active or inactive"})


class UserCreateRequest(Schema):
    name = fields.Str(required=True, validate=NAME)
    email = Email(required=True, metadata={"description": "The user's username"})
    role_id = Id(required=True)
    password = fields.Str(
        validate=PASSWORD,
        load_only=True,
        metadata={"description": "An initial password; or set send_invitation instead."},
    )
    send_invitation = fields.Bool(
        load_default=False,
        metadata={"description": "E-mail the user a link to choose their own password."},
    )


class UserUpdateRequest(Schema):
    name = fields.Str(validate=NAME)
    email = Email()
    role_id = Id()
    password = fields.Str(
        validate=PASSWORD, load_only=True, metadata={"description": "A new password"}
    )


class RoleCreateRequest(Schema):
    name = fields.Str(required=True, validate=Length(min=1, max=50))
    permissions = fields.List(fields.Str(), required=True, metadata={"example": ["view_clients"]})


class RoleUpdateRequest(Schema):
    name = fields.Str(validate=Length(min=1, max=50))
    permissions = fields.List(fields.Str())


class AgencyUpdateRequest(Schema):
    name = fields.Str(validate=NAME)
    timezone = fields.Str(validate=Length(min=1, max=64), metadata={"example": "Europe/Berlin"})
    brand_color = fields.Str(
        allow_none=True,
        validate=Length(max=7),
        metadata={
            "example": "#0f766e",
            "description": "The brand colour as #rrggbb; null or empty clears it",
        },
    )


# --- responses -----------------------------------------------------------------------------


class Money(Schema):
    amount = fields.Int(required=True, metadata={"description": "Minor units (cents)"})
    currency = fields.Str(required=True, metadata={"example": "USD"})


class RoleRef(Schema):
    id = fields.UUID()
    name = fields.Str()


class Principal(Schema):
    """Who is signed in (a team user, or a portal contact)."""

    principal_id = fields.UUID()
    kind = fields.Str(metadata={"description": "user or contact"})
    agency_id = fields.UUID()
    name = fields.Str()
    email = fields.Str()
    role = fields.Nested(RoleRef, allow_none=True)
    permissions = fields.List(fields.Str())
    client_id = fields.UUID(allow_none=True)
    contact_id = fields.UUID(allow_none=True)
    subscription_status = fields.Str()
    read_only = fields.Bool(
        metadata={
            "description": "Changes are refused (402 subscription_required) until it subscribes"
        }
    )


class Plan(Schema):
    code = fields.Str()
    name = fields.Str()
    client_limit = fields.Int(allow_none=True, metadata={"description": "null: unlimited"})
    price_per_user = fields.Nested(Money)
    is_default = fields.Bool(metadata={"description": "The plan a new agency starts on"})


class Branding(Schema):
    agency_name = fields.Str()
    color = fields.Str(allow_none=True, metadata={"example": "#0f766e"})
    has_logo = fields.Bool(metadata={"description": "GET /agency/logo answers the image"})
    logo_updated_at = fields.DateTime(allow_none=True)


class Agency(Schema):
    id = fields.UUID()
    name = fields.Str()
    timezone = fields.Str()
    plan = fields.Nested(Plan)
    trial_ends_at = fields.DateTime(allow_none=True)
    trial_days_left = fields.Int(allow_none=True)
    subscription_status = fields.Str(
        metadata={
            "example": "trialing",
            "description": "trialing, trial_ended, active, past_due, unpaid or canceled",
        }
    )
    read_only = fields.Bool(
        metadata={
            "description": "Changes are refused (402 subscription_required) until it subscribes"
        }
    )
    created_at = fields.DateTime()
    branding = fields.Nested(Branding)


class User(Schema):
    id = fields.UUID()
    name = fields.Str()
    email = fields.Str()
    role = fields.Nested(RoleRef)
    status = fields.Str(metadata={"description": "active or inactive"})
    is_owner = fields.Bool()
    invitation_pending = fields.Bool(
        metadata={"description": "Has not yet confirmed the address by the link e-mailed to it"}
    )
    created_at = fields.DateTime()
    last_login_at = fields.DateTime(allow_none=True)


class UserPage(Page):
    items = fields.List(fields.Nested(User))


class Role(Schema):
    id = fields.UUID()
    name = fields.Str()
    permissions = fields.List(fields.Str())
    is_builtin = fields.Bool()
    users = fields.Int(metadata={"description": "Active users holding the role"})


class RolePage(Page):
    items = fields.List(fields.Nested(Role))


class Permission(Schema):
    name = fields.Str()
    description = fields.Str()


class PermissionPage(Page):
    items = fields.List(fields.Nested(Permission))


class ApiToken(Schema):
    id = fields.UUID()
    name = fields.Str()
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True)


class NewApiToken(ApiToken):
    token = fields.Str(metadata={"description": "The secret; shown only in this answer."})


class ApiTokenPage(Page):
    items = fields.List(fields.Nested(ApiToken))


class PlanPage(Page):
    items = fields.List(fields.Nested(Plan))


class Entitlements(Schema):
    plan = fields.Nested(Plan)
    client_limit = fields.Int(allow_none=True, metadata={"description": "null: unlimited"})
    price_per_user = fields.Nested(Money)
    active_users = fields.Int()
    subscription_status = fields.Str()
    read_only = fields.Bool(
        metadata={
            "description": "Changes are refused (402 subscription_required) until it subscribes"
        }
    )
    trial_ends_at = fields.DateTime(allow_none=True)


class Me(Schema):
    user = fields.Nested(Principal)
    agency = fields.Nested(Agency)


class Signup(Schema):
    agency = fields.Nested(Agency)
    user = fields.Nested(Principal)
    token = fields.Nested(NewApiToken, metadata={"description": "An API token named 'signup'"})


class Login(Schema):
    user = fields.Nested(Principal)


class Message(Schema):
    message = fields.Str()
