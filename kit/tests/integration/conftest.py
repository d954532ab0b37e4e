import pytest
from sqlalchemy import create_engine, text

from kit.tables import KitBase

KIT_TEST_DB = "postgresql+psycopg://postgres@127.0.0.1/agency_kit_test"


@pytest.fixture(scope="session")
def kit_db_url():
    """A database holding only the kit's tables (outbox, processed and failed events)."""
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS agency_kit_test WITH (FORCE)"))
        conn.execute(text("CREATE DATABASE agency_kit_test"))
    admin.dispose()
    engine = create_engine(KIT_TEST_DB)
    KitBase.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE handled (event_id uuid, note text)"))
    engine.dispose()
    return KIT_TEST_DB


@pytest.fixture
def kit_db(kit_db_url):
    engine = create_engine(kit_db_url)
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE outbox, processed_events, failed_events, handled"))
    yield engine
    engine.dispose()
