"""Alembic environment of the reporting service: its tables plus the kit's."""

from kit.alembic_env import run_migrations
from reporting.models import Base

run_migrations(Base.metadata)
