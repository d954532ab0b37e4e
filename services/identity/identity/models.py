"""Identity's tables: agencies (tenants) and their plans, team users, roles, portal logins,
sessions, API tokens, single-use tokens, failed-login records and waiting reset requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, new_id, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class Plan(Base):
    """What an agency pays per active user and how many clients it may keep (seeded)."""

    __tablename__ = "plans"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    client_limit: Mapped[int | None]  # None: unlimited
    price_per_user: Mapped[int]  # minor units per active user per month
    currency: Mapped[str] = mapped_column(String(3))
    is_default: Mapped[bool] = mapped_column(default=False)
    position: Mapped[int] = mapped_column(default=0)


class Agency(Base):
    """A tenant. Its id is the `agency_id` on every other row of every service."""

    __tablename__ = "agencies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    plan_code: Mapped[str] = mapped_column(ForeignKey("plans.code"))
    subscription_status: Mapped[str] = mapped_column(String(20), default="trialing")
    trial_ends_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The agency's brand, shown to its clients (portal, e-mails, invoices): `#rrggbb` and a logo.
    brand_color: Mapped[str | None] = mapped_column(String(7))
    logo_data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    logo_content_type: Mapped[str | None] = mapped_column(String(20))
    logo_updated_at: Mapped[datetime | None]
    # The last billing subscription event followed (billing numbers them): an older one that
    # arrives late changes nothing.
    subscription_version: Mapped[int] = mapped_column(default=0)
    trial_ending_sent_at: Mapped[datetime | None]  # the `trial_ending` reminder, sent once

    plan: Mapped[Plan] = relationship(lazy="joined")


class Role(TenantMixin, Base):
    """A named set of permissions; the four built-in roles are seeded per agency and immutable."""

    __tablename__ = "roles"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(50))
    permissions: Mapped[list[str]] = mapped_column(ARRAY(String(50)), default=list)
    is_builtin: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(TenantMixin, Base):
    """A team member of an agency; the e-mail is the username. A new user (or a changed address)
    is pending until its owner opens the e-mailed link (`email_confirmed_at`): only confirmed
    addresses are unique across all agencies and can log in, so adding an address that another
    agency's user has answers just as a free one does."""

    __tablename__ = "users"
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    role_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("roles.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None until invited sets one
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | inactive
    is_owner: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    last_login_at: Mapped[datetime | None]
    email_confirmed_at: Mapped[datetime | None]

    role: Mapped[Role] = relationship(lazy="joined")


class PortalLogin(TenantMixin, Base):
    """A client contact's own login to the client portal (the contact's data lives in clients)."""

    __tablename__ = "portal_logins"
    __table_args__ = (Index("uq_portal_logins_contact", "agency_id", "contact_id", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    contact_id: Mapped[uuid.UUID]
    client_id: Mapped[uuid.UUID]
    name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default="active")  # active | disabled
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class LoginSession(TenantMixin, Base):
    """A web session: only the sha256 of its opaque token is kept."""

    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_principal", "kind", "principal_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # user | contact
    principal_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    ip: Mapped[str | None] = mapped_column(String(64))


class ApiToken(TenantMixin, Base):
    """A personal API token of a team user: shown once, kept as its sha256."""

    __tablename__ = "api_tokens"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class OneTimeToken(TenantMixin, Base):
    """A single-use token e-mailed to a person: a password reset or a user invitation."""

    __tablename__ = "one_time_tokens"
    __table_args__ = (Index("ix_one_time_tokens_principal", "kind", "principal_id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(20))  # password_reset | invitation
    kind: Mapped[str] = mapped_column(String(20))  # user | contact
    principal_id: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class LoginFailure(Base):
    """One failed login, counted per IP and per account to throttle guessing (ASVS V2.2.1)."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_scope_key_at", "scope", "key", "failed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    scope: Mapped[str] = mapped_column(String(10))  # ip | account
    key: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PasswordResetRequest(Base):
    """A forgotten-password request, handled (and deleted) after the reply: no agency, since
    whether the address has an account is exactly what the request path must not find out."""

    __tablename__ = "password_reset_requests"
    __table_args__ = (Index("ix_password_reset_requests_requested_at", "requested_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # user | contact
    email: Mapped[str] = mapped_column(String(254))
    request_id: Mapped[str | None] = mapped_column(String(64))  # the asker's, for tracing
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)


class PendingSignup(Base):
    """A signup waiting for its owner to open the e-mailed link: only then is the agency made,
    so that signing up with an address tells nobody but its owner whether it has an account."""

    __tablename__ = "pending_signups"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agency_name: Mapped[str] = mapped_column(String(100))
    owner_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(254))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


# Names and e-mail addresses are unique regardless of case.
Index("uq_roles_agency_name", Role.agency_id, func.lower(Role.name), unique=True)
Index(
    "uq_users_email",
    func.lower(User.email),
    unique=True,
    postgresql_where=User.email_confirmed_at.is_not(None),
)
Index("uq_users_agency_email", User.agency_id, func.lower(User.email), unique=True)
Index("uq_portal_logins_email", func.lower(PortalLogin.email), unique=True)
Index("ix_pending_signups_email", func.lower(PendingSignup.email))
