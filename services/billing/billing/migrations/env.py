"""Alembic environment of the billing service: its tables plus the kit's (outbox, inbox)."""

import billing.ledger.tables
import billing.subscription.models  # noqa: F401  (the platform subscription's tables)
from billing.models import Base
from kit.alembic_env import run_migrations

run_migrations(Base.metadata)
