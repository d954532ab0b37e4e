"""Alembic environment of the notifications service: its tables plus the kit's."""

from kit.alembic_env import run_migrations
from notifications.models import Base

run_migrations(Base.metadata)
