"""Create a service's database if it is missing and bring it to the latest Alembic revision.

python -m kit.migrate identity clients ...
"""

from __future__ import annotations

import importlib.resources
import sys

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kit.config import load_config
from kit.db import DATABASE_URL_KEY


def create_database(url: str) -> None:
    """CREATE DATABASE for `url` unless it exists (connecting to the server's `postgres` db)."""
    target = make_url(url)
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        exists = conn.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
        )
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    engine.dispose()


def alembic_config(package: str, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(importlib.resources.files(package).joinpath("migrations"))
    )
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(package: str, url: str | None = None) -> None:
    url = url or load_config(package)[DATABASE_URL_KEY]
    create_database(url)
    command.upgrade(alembic_config(package, url), "head")


def main(argv: list[str]) -> None:
    for package in argv:
        upgrade(package)
        print(f"{package}: database at the latest revision")


if __name__ == "__main__":
    main(sys.argv[1:])
