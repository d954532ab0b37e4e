"""Helpers for the services' integration tests: real PostgreSQL, real RabbitMQ.

`fresh_database(package)` gives a service its own test database at the latest migration;
`truncate_all(url)` empties it between tests. Fakes stay out of integration tests.
"""

from __future__ import annotations

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kit.config import load_config
from kit.db import DATABASE_URL_KEY
from kit.migrate import upgrade


def test_database_url(package: str) -> str:
    """The service's configured URL with `_test` appended to the database name."""
    url = make_url(load_config(package)[DATABASE_URL_KEY])
    return url.set(database=f"{url.database}_test").render_as_string(hide_password=False)


def fresh_database(package: str) -> str:
    """Drop and re-create the service's test database, migrated to head; returns its URL."""
    url = test_database_url(package)
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
    engine.dispose()
    upgrade(package, url)
    return url


def truncate_all(url: str) -> None:
    """Empty every table but Alembic's, so each test starts from nothing."""
    engine = create_engine(url)
    with engine.begin() as conn:
        tables = conn.scalars(
            text(
                "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename <> 'alembic_version'"
            )
        ).all()
        if tables:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()


def service_config(package: str, rabbit_config: dict, db_url: str, **extra) -> dict:
    """The service's own config.yaml, pointed at the test broker vhost and test database."""
    config = load_config(package)
    config.update(rabbit_config)
    config[DATABASE_URL_KEY] = db_url
    config.update(extra)
    return config
