"""The body of every service's Alembic `env.py`: online migrations of its metadata + the kit's."""

from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from kit.tables import KitBase


def run_migrations(metadata) -> None:
    config = context.config
    target = [metadata, KitBase.metadata]
    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=target, literal_binds=True
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
