"""Alembic environment of the identity database (run with `python -m kit.migrate identity`)."""

from identity.models import Base
from kit.alembic_env import run_migrations

run_migrations(Base.metadata)
