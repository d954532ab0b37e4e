"""Fixtures of the reporting service's tests: a real PostgreSQL test database, emptied per test.
Events are fed to the same functions the handlers call (`learning`), in a transaction each."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from kit.testing import drop_database, fresh_database, truncate_all


@pytest.fixture(scope="session")
def db_url():
    """`agency_reporting_test`, suffixed with this process id (runs share this machine)."""
    url = fresh_database("reporting", suffix=f"_test_{os.getpid()}")
    yield url
    drop_database(url)


@pytest.fixture(scope="session")
def engine(db_url):
    engine = create_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(db_url, engine):
    truncate_all(db_url)
    with Session(engine, expire_on_commit=False) as session:
        yield session
