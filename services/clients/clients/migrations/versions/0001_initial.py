"""First revision: clients, contacts, custom fields, pictures, imports, vault, invitations, requests

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:28:12.555363
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from kit.migrations import create_kit_tables_v1, drop_kit_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    create_kit_tables_v1()
    op.create_table(
        "clients",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "name_key",
            sa.String(length=200),
            sa.Computed("lower(name)", persisted=True),
            nullable=False,
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("account_manager_ids", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("custom_fields", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_clients_account_managers",
        "clients",
        ["account_manager_ids"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(op.f("ix_clients_agency_id"), "clients", ["agency_id"], unique=False)
    op.create_index(
        "ix_clients_custom_fields",
        "clients",
        ["custom_fields"],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_clients_tags", "clients", ["tags"], unique=False, postgresql_using="gin")
    op.create_index(
        "uq_clients_agency_name_live",
        "clients",
        ["agency_id", "name_key"],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "custom_field_definitions",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("field_type", sa.String(length=20), nullable=False),
        sa.Column("choices", postgresql.ARRAY(sa.String(length=100)), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_custom_field_definitions_agency_id"),
        "custom_field_definitions",
        ["agency_id"],
        unique=False,
    )
    op.create_index(
        "uq_custom_fields_agency_name",
        "custom_field_definitions",
        ["agency_id", sa.literal_column("lower(name)")],
        unique=True,
    )
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("mapping", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("client_limit", sa.Integer(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error_count", sa.Integer(), nullable=False),
        sa.Column("errors", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("failure", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_import_jobs_agency_id"), "import_jobs", ["agency_id"], unique=False)
    op.create_table(
        "pictures",
        sa.Column("owner_id", sa.UUID(), nullable=False),
        sa.Column("owner_kind", sa.String(length=20), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("owner_id"),
    )
    op.create_index(op.f("ix_pictures_agency_id"), "pictures", ["agency_id"], unique=False)
    op.create_table(
        "vault_reveals",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("entry_id", sa.UUID(), nullable=False),
        sa.Column("entry_label", sa.String(length=200), nullable=False),
        sa.Column("principal_id", sa.String(length=64), nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("revealed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_vault_reveals_agency_id"), "vault_reveals", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_vault_reveals_client_id"), "vault_reveals", ["client_id"], unique=False
    )
    op.create_index(op.f("ix_vault_reveals_entry_id"), "vault_reveals", ["entry_id"], unique=False)
    op.create_table(
        "contacts",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "email_key",
            sa.String(length=320),
            sa.Computed("lower(email)", persisted=True),
            nullable=False,
        ),
        sa.Column("position", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=50), nullable=False),
        sa.Column("tags", postgresql.ARRAY(sa.String(length=60)), nullable=False),
        sa.Column("portal_status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "email_key", name="uq_contacts_agency_email"),
    )
    op.create_index(op.f("ix_contacts_agency_id"), "contacts", ["agency_id"], unique=False)
    op.create_index(op.f("ix_contacts_client_id"), "contacts", ["client_id"], unique=False)
    op.create_index("ix_contacts_tags", "contacts", ["tags"], unique=False, postgresql_using="gin")
    op.create_table(
        "vault_entries",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("username", sa.String(length=200), nullable=False),
        sa.Column("password_token", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_vault_entries_agency_id"), "vault_entries", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_vault_entries_client_id"), "vault_entries", ["client_id"], unique=False
    )
    op.create_table(
        "client_requests",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("service_name", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["clients.id"],
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_client_requests_agency_id"), "client_requests", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_client_requests_client_id"), "client_requests", ["client_id"], unique=False
    )
    op.create_table(
        "invitations",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("contact_id", sa.UUID(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("invited_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_invitations_agency_id"), "invitations", ["agency_id"], unique=False)
    op.create_index(op.f("ix_invitations_contact_id"), "invitations", ["contact_id"], unique=False)


def downgrade() -> None:
    drop_kit_tables_v1()
    op.drop_index(op.f("ix_invitations_contact_id"), table_name="invitations")
    op.drop_index(op.f("ix_invitations_agency_id"), table_name="invitations")
    op.drop_table("invitations")
    op.drop_index(op.f("ix_client_requests_client_id"), table_name="client_requests")
    op.drop_index(op.f("ix_client_requests_agency_id"), table_name="client_requests")
    op.drop_table("client_requests")
    op.drop_index(op.f("ix_vault_entries_client_id"), table_name="vault_entries")
    op.drop_index(op.f("ix_vault_entries_agency_id"), table_name="vault_entries")
    op.drop_table("vault_entries")
    op.drop_index("ix_contacts_tags", table_name="contacts", postgresql_using="gin")
    op.drop_index(op.f("ix_contacts_client_id"), table_name="contacts")
    op.drop_index(op.f("ix_contacts_agency_id"), table_name="contacts")
    op.drop_table("contacts")
    op.drop_index(op.f("ix_vault_reveals_entry_id"), table_name="vault_reveals")
    op.drop_index(op.f("ix_vault_reveals_client_id"), table_name="vault_reveals")
    op.drop_index(op.f("ix_vault_reveals_agency_id"), table_name="vault_reveals")
    op.drop_table("vault_reveals")
    op.drop_index(op.f("ix_pictures_agency_id"), table_name="pictures")
    op.drop_table("pictures")
    op.drop_index(op.f("ix_import_jobs_agency_id"), table_name="import_jobs")
    op.drop_table("import_jobs")
    op.drop_index("uq_custom_fields_agency_name", table_name="custom_field_definitions")
    op.drop_index(
        op.f("ix_custom_field_definitions_agency_id"), table_name="custom_field_definitions"
    )
    op.drop_table("custom_field_definitions")
    op.drop_index(
        "uq_clients_agency_name_live",
        table_name="clients",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index("ix_clients_tags", table_name="clients", postgresql_using="gin")
    op.drop_index("ix_clients_custom_fields", table_name="clients", postgresql_using="gin")
    op.drop_index(op.f("ix_clients_agency_id"), table_name="clients")
    op.drop_index("ix_clients_account_managers", table_name="clients", postgresql_using="gin")
    op.drop_table("clients")
