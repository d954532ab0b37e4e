"""First revision: services, assignments, time notes, client and agency facts, invoices; kit tables

Revision ID: 0001
Revises:
Create Date: 2026-11-29 02:27:17.634756
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from kit.migrations import create_kit_tables_v1, drop_kit_tables_v1

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agency_facts",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "client_facts",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("services_chosen", sa.Boolean(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index(op.f("ix_client_facts_agency_id"), "client_facts", ["agency_id"], unique=False)
    op.create_table(
        "invoice_counters",
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency_id"),
    )
    op.create_table(
        "services",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_services_agency_id"), "services", ["agency_id"], unique=False)
    op.create_index(
        "uq_services_agency_name_live",
        "services",
        ["agency_id", sa.literal_column("lower(name)")],
        unique=True,
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.create_table(
        "assignments",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("billing_type", sa.String(length=30), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("rate", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("billed_through", sa.Date(), nullable=True),
        sa.Column("next_bill_on", sa.Date(), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_by", sa.String(length=64), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("end_date IS NULL OR end_date >= start_date", name="ck_assignments_end"),
        sa.CheckConstraint("rate >= 0", name="ck_assignments_rate"),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client_facts.client_id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_assignments_agency_id"), "assignments", ["agency_id"], unique=False)
    op.create_index(op.f("ix_assignments_client_id"), "assignments", ["client_id"], unique=False)
    op.create_index(
        "ix_assignments_due", "assignments", ["agency_id", "next_bill_on"], unique=False
    )
    op.create_index(op.f("ix_assignments_service_id"), "assignments", ["service_id"], unique=False)
    op.create_table(
        "client_services",
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client_facts.client_id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("client_id", "service_id"),
    )
    op.create_index(
        op.f("ix_client_services_agency_id"), "client_services", ["agency_id"], unique=False
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.UUID(), nullable=False),
        sa.Column("client_name", sa.String(length=200), nullable=False),
        sa.Column("assignment_id", sa.UUID(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("payment_method", sa.String(length=10), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_method", sa.String(length=30), nullable=True),
        sa.Column("paid_reference", sa.String(length=200), nullable=True),
        sa.Column("voided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("total >= 0", name="ck_invoices_total"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["client_facts.client_id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("agency_id", "number", name="uq_invoices_agency_number"),
        sa.UniqueConstraint("assignment_id", "period_start", name="uq_invoices_assignment_period"),
    )
    op.create_index(op.f("ix_invoices_agency_id"), "invoices", ["agency_id"], unique=False)
    op.create_index(
        "ix_invoices_agency_status_issued",
        "invoices",
        ["agency_id", "status", "issued_on"],
        unique=False,
    )
    op.create_index("ix_invoices_client", "invoices", ["client_id"], unique=False)
    op.create_table(
        "invoice_lines",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("invoice_id", sa.UUID(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_id", sa.UUID(), nullable=False),
        sa.Column("service_name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        op.f("ix_invoice_lines_agency_id"), "invoice_lines", ["agency_id"], unique=False
    )
    op.create_index(
        op.f("ix_invoice_lines_invoice_id"), "invoice_lines", ["invoice_id"], unique=False
    )
    op.create_table(
        "time_notes",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("assignment_id", sa.UUID(), nullable=False),
        sa.Column("work_date", sa.Date(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("logged_by", sa.String(length=64), nullable=True),
        sa.Column("invoice_id", sa.UUID(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency_id", sa.UUID(), nullable=False),
        sa.CheckConstraint("minutes > 0", name="ck_time_notes_minutes"),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["assignments.id"],
        ),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["invoices.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_time_notes_agency_id"), "time_notes", ["agency_id"], unique=False)
    op.create_index(
        op.f("ix_time_notes_assignment_id"), "time_notes", ["assignment_id"], unique=False
    )
    op.create_index(op.f("ix_time_notes_invoice_id"), "time_notes", ["invoice_id"], unique=False)
    create_kit_tables_v1()


def downgrade() -> None:
    drop_kit_tables_v1()
    op.drop_index(op.f("ix_time_notes_invoice_id"), table_name="time_notes")
    op.drop_index(op.f("ix_time_notes_assignment_id"), table_name="time_notes")
    op.drop_index(op.f("ix_time_notes_agency_id"), table_name="time_notes")
    op.drop_table("time_notes")
    op.drop_index(op.f("ix_invoice_lines_invoice_id"), table_name="invoice_lines")
    op.drop_index(op.f("ix_invoice_lines_agency_id"), table_name="invoice_lines")
    op.drop_table("invoice_lines")
    op.drop_index("ix_invoices_client", table_name="invoices")
    op.drop_index("ix_invoices_agency_status_issued", table_name="invoices")
    op.drop_index(op.f("ix_invoices_agency_id"), table_name="invoices")
    op.drop_table("invoices")
    op.drop_index(op.f("ix_client_services_agency_id"), table_name="client_services")
    op.drop_table("client_services")
    op.drop_index(op.f("ix_assignments_service_id"), table_name="assignments")
    op.drop_index("ix_assignments_due", table_name="assignments")
    op.drop_index(op.f("ix_assignments_client_id"), table_name="assignments")
    op.drop_index(op.f("ix_assignments_agency_id"), table_name="assignments")
    op.drop_table("assignments")
    op.drop_index(
        "uq_services_agency_name_live",
        table_name="services",
        postgresql_where=sa.text("archived_at IS NULL"),
    )
    op.drop_index(op.f("ix_services_agency_id"), table_name="services")
    op.drop_table("services")
    op.drop_table("invoice_counters")
    op.drop_index(op.f("ix_client_facts_agency_id"), table_name="client_facts")
    op.drop_table("client_facts")
    op.drop_table("agency_facts")
