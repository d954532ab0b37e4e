"""Identity's tests run against a real PostgreSQL test database, migrated once per session and
emptied before each test. Password hashing uses cheap argon2 parameters here: the production
parameters cost about 0.1 s a hash, which would dominate the suite and prove nothing more."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, insert, select

from identity import passwords
from identity.models import Plan
from kit.testing import fresh_database, truncate_all

STRONG_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        yield


@pytest.fixture(scope="session")
def migrated_db() -> tuple[str, list[dict]]:
    """The test database at head, and the reference rows the migration seeded."""
    url = fresh_database("identity")
    engine = create_engine(url)
    with engine.connect() as conn:
        plans = [dict(row._mapping) for row in conn.execute(select(Plan.__table__))]
    engine.dispose()
    return url, plans


@pytest.fixture
def db_url(migrated_db) -> str:
    """An empty database except for the seeded plans (truncate_all empties those too)."""
    url, plans = migrated_db
    truncate_all(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(insert(Plan.__table__), plans)
    engine.dispose()
    return url


def ctx_of(principal: dict) -> dict:
    """The call context the gateway builds for an authenticated principal."""
    return {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": principal["kind"],
        "permissions": principal["permissions"],
        "client_id": principal["client_id"],
        "request_id": "test-request",
    }


ANONYMOUS = {"agency_id": None, "request_id": "test-request"}


@pytest.fixture
def as_principal():
    return ctx_of


@pytest.fixture
def anonymous() -> dict:
    return dict(ANONYMOUS)
