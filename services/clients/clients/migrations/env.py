"""Alembic environment of the clients service: its tables plus the kit's (outbox, inbox)."""

from clients.models import Base
from kit.alembic_env import run_migrations

run_migrations(Base.metadata)
