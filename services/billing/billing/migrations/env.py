"""Alembic environment of the billing service: its tables plus the kit's (outbox, inbox)."""

import billing.ledger.tables  # noqa: F401  (the ledger's tables join the metadata)
from billing.models import Base
from kit.alembic_env import run_migrations

run_migrations(Base.metadata)
