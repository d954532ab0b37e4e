"""The clients service's tables. Every row carries `agency_id`; every query filters by it.

Choices worth knowing:
- `name_key` / `email_key` are generated `lower(...)` columns so the case-insensitive unique
  indexes can be the targets of `INSERT ... ON CONFLICT` (the CSV import upserts on them).
- A client's name is unique among the agency's non-archived clients only: archiving frees it.
- Tags, account managers and custom field values live on the row (text arrays and JSONB, GIN
  indexed), so filters are containment tests and imports stay single-row upserts.
- Logos and avatars live in `pictures` (bytea), one per owner, out of the list queries' way.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Computed,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from kit.db import TYPE_ANNOTATION_MAP, TenantMixin, new_id, utcnow


class Base(DeclarativeBase):
    type_annotation_map = TYPE_ANNOTATION_MAP


class Client(TenantMixin, Base):
    """A client company of the agency."""

    __tablename__ = "clients"
    __table_args__ = (
        Index(
            "uq_clients_agency_name_live",
            "agency_id",
            "name_key",
            unique=True,
            postgresql_where=text("archived_at IS NULL"),
        ),
        Index("ix_clients_tags", "tags", postgresql_using="gin"),
        Index("ix_clients_account_managers", "account_manager_ids", postgresql_using="gin"),
        Index("ix_clients_custom_fields", "custom_fields", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(String(200), Computed("lower(name)", persisted=True))
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str] = mapped_column(String(500), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    account_manager_ids: Mapped[list[str]] = mapped_column(ARRAY(String(64)), default=list)
    custom_fields: Mapped[dict] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="active")
    # The contact invoices and receipts go to (billing_contacts.py); None: the first contact.
    billing_contact_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey(
            "contacts.id", use_alter=True, ondelete="SET NULL", name="fk_clients_billing_contact"
        )
    )
    archived_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # How many of its contacts are not archived: kept by the database (triggers on contacts,
    # migration 0042_lists_contact_counts), never written here; deferred, so it is read fresh
    # when asked for rather than held by the session past a contact change.
    contact_count: Mapped[int] = mapped_column(server_default=text("0"), deferred=True)


class Contact(TenantMixin, Base):
    """A person at a client. The e-mail is unique within the agency, whatever its case (archived
    contacts included: restoring one never meets a taken address)."""

    __tablename__ = "contacts"
    __table_args__ = (
        UniqueConstraint("agency_id", "email_key", name="uq_contacts_agency_email"),
        Index("ix_contacts_tags", "tags", postgresql_using="gin"),
        Index(
            "ix_contacts_archived", "agency_id", postgresql_where=text("archived_at IS NOT NULL")
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320))
    email_key: Mapped[str] = mapped_column(String(320), Computed("lower(email)", persisted=True))
    position: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    tags: Mapped[list[str]] = mapped_column(ARRAY(String(60)), default=list)
    portal_status: Mapped[str] = mapped_column(String(20), default="none")  # none|invited|active
    # access that archiving the client ended: restoring it offers to invite these again
    portal_ended_at: Mapped[datetime | None]
    archived_at: Mapped[datetime | None]
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    # what the list's search (`q`) matches: name, e-mail, position, phone and tags, lower-cased,
    # with a trigram index (migration 0040_gwlists_contact_search); never loaded with the row
    search_text: Mapped[str] = mapped_column(
        Text,
        Computed("lower(contact_search_text(name, email, position, phone, tags))", persisted=True),
        deferred=True,
    )


class CustomFieldDefinition(TenantMixin, Base):
    """A field the agency defines once and every client may fill."""

    __tablename__ = "custom_field_definitions"
    __table_args__ = (
        Index("uq_custom_fields_agency_name", "agency_id", text("lower(name)"), unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    field_type: Mapped[str] = mapped_column(String(20))
    choices: Mapped[list[str]] = mapped_column(ARRAY(String(100)), default=list)
    # A required field must have a value on every client created (or edited with fields).
    required: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Picture(TenantMixin, Base):
    """A client's logo or a contact's avatar: checked image bytes and their content type."""

    __tablename__ = "pictures"

    owner_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    owner_kind: Mapped[str] = mapped_column(String(20))  # client | contact
    content_type: Mapped[str] = mapped_column(String(50))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportJob(TenantMixin, Base):
    """One CSV import: its upload, its progress and the rows it refused."""

    __tablename__ = "import_jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # clients | contacts
    # uploading | queued | running | done | failed
    status: Mapped[str] = mapped_column(String(20), default="queued")
    filename: Mapped[str | None] = mapped_column(String(255))
    upload_chunks: Mapped[int] = mapped_column(default=0)
    upload_bytes: Mapped[int] = mapped_column(BigInteger, default=0)
    mapping: Mapped[dict] = mapped_column(JSONB, default=dict)
    client_limit: Mapped[int | None] = mapped_column(Integer)
    # {lower-case e-mail: user id} of the team, for an `account_managers` column
    team_emails: Mapped[dict] = mapped_column(JSONB, default=dict, server_default=text("'{}'"))
    skip_updates: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
    total: Mapped[int] = mapped_column(default=0)
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    error_count: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(JSONB, default=list)
    failure: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Renewed by the process running the job; a running job whose lease ran out lost its process.
    heartbeat_at: Mapped[datetime | None]


class ImportChunk(Base):
    """One piece of an import's file, in upload order; deleted when the import ends."""

    __tablename__ = "import_chunks"

    job_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("import_jobs.id", ondelete="CASCADE"), primary_key=True
    )
    seq: Mapped[int] = mapped_column(primary_key=True)
    agency_id: Mapped[uuid.UUID]  # the job's; the job's own index serves tenant queries
    data: Mapped[bytes] = mapped_column(LargeBinary)


class ImportKey(Base):
    """A key (lower-case e-mail or client name) an import has met, and the line it was on: how
    a repeat within one file is found without holding the file's keys in memory. Scratch rows,
    deleted when the import ends, so the table is UNLOGGED (no WAL; emptied by a crash, when
    any running import is failed anyway)."""

    __tablename__ = "import_keys"
    __table_args__ = {"prefixes": ["UNLOGGED"]}

    job_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    agency_id: Mapped[uuid.UUID]
    line: Mapped[int]


class VaultEntry(TenantMixin, Base):
    """A stored credential of a client; the password is a MultiFernet token."""

    __tablename__ = "vault_entries"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(500), default="")
    username: Mapped[str] = mapped_column(String(200), default="")
    password_token: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class VaultReveal(TenantMixin, Base):
    """The audit of every password reveal: who, when, which entry."""

    __tablename__ = "vault_reveals"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(index=True)
    entry_id: Mapped[uuid.UUID] = mapped_column(index=True)
    entry_label: Mapped[str] = mapped_column(String(200))
    principal_id: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    revealed_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invitation(TenantMixin, Base):
    """A contact's invitation to the client portal; only the token's SHA-256 is kept."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    contact_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("contacts.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # the address the link was sent to: accepted only while it is still the contact's
    email: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending|accepted|cancelled
    message: Mapped[str] = mapped_column(Text, default="")
    invited_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class InvitationSend(TenantMixin, Base):
    """One invitation e-mail sent (first or resent), kept an hour: the per-agency send limit."""

    __tablename__ = "invitation_sends"
    __table_args__ = (Index("ix_invitation_sends_agency_sent", "agency_id", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    invitation_id: Mapped[uuid.UUID]
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class PortalSync(TenantMixin, Base):
    """A contact whose portal login identity must still be brought in line with it; `version`
    grows with each change, so a push that raced a newer change knows to push again."""

    __tablename__ = "portal_syncs"

    contact_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class ClientRequest(TenantMixin, Base):
    """A request a client's contact made through the portal (or the team logged for them)."""

    __tablename__ = "client_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("clients.id"), index=True)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    service_name: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    assignee_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # The last thing added to the thread (anyone's): a team member who has not read the
    # request since sees it unread.
    activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestComment(TenantMixin, Base):
    """One entry of a request's thread: a comment (both sides see it), an internal note (the
    team only) or a status change."""

    __tablename__ = "request_comments"
    __table_args__ = (Index("ix_request_comments_request", "request_id", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_requests.id"))
    kind: Mapped[str] = mapped_column(String(20))  # comment | note | status
    author_kind: Mapped[str] = mapped_column(String(20))  # user | contact
    author_id: Mapped[str | None] = mapped_column(String(64))
    author_name: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    old_status: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestAttachment(TenantMixin, Base):
    """A file on a request (sent with it) or on one of its comments; the bytes are in the S3
    bucket under `storage_key`, stored before this row is written."""

    __tablename__ = "request_attachments"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    request_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client_requests.id"), index=True)
    comment_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("request_comments.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    storage_key: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestRead(TenantMixin, Base):
    """When a team member last opened a request: before its `activity_at`, it is unread."""

    __tablename__ = "request_reads"

    request_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("client_requests.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(default=utcnow)


class ClientStatusChange(TenantMixin, Base):
    """A change of a client's standing: created (with its first status), status changed
    (active/inactive), archived, restored. Written in the transaction of the change, with the id
    and time of the event published for it (clients/status_history.py); rows before migration
    0040_rebuild_status_history were backfilled from what was known (`backfilled`)."""

    __tablename__ = "client_status_history"
    __table_args__ = (
        Index("ix_client_status_history_agency_time", "agency_id", "occurred_at", "id"),
        Index("ix_client_status_history_client", "client_id", "occurred_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the event's event_id
    client_id: Mapped[uuid.UUID]
    kind: Mapped[str] = mapped_column(String(20))  # created | status | archived | restored
    status: Mapped[str | None] = mapped_column(String(20))  # after the change (created, status)
    old_status: Mapped[str | None] = mapped_column(String(20))
    occurred_at: Mapped[datetime]
    backfilled: Mapped[bool] = mapped_column(default=False, server_default=text("false"))
