import pytest
from sqlalchemy import create_engine, text

from kit.tables import KitBase
from kit.testing import RUN_TAG

KIT_TEST_DB_NAME = f"agency_kit_test{RUN_TAG}"
KIT_TEST_DB = f"postgresql+psycopg://postgres@127.0.0.1/{KIT_TEST_DB_NAME}"


@pytest.fixture(scope="session")
def kit_db_url():
    """A database holding only the kit's tables (outbox, processed and failed events)."""
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1/postgres", isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {KIT_TEST_DB_NAME} WITH (FORCE)"))
        conn.execute(text(f"CREATE DATABASE {KIT_TEST_DB_NAME}"))
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
        conn.execute(
            text("TRUNCATE outbox, processed_events, failed_events, erased_agencies, handled")
        )
    yield engine
    engine.dispose()


@pytest.fixture
def kit_db_switch(kit_db_url):
    """`kit_db_switch(False)` makes the kit test database refuse connections (and ends the open
    ones), `kit_db_switch(True)` lets them in again; always let in again afterwards."""
    admin = create_engine(
        "postgresql+psycopg://postgres@127.0.0.1/postgres", isolation_level="AUTOCOMMIT"
    )

    def switch(allow: bool) -> None:
        with admin.connect() as conn:
            conn.execute(text(f"ALTER DATABASE {KIT_TEST_DB_NAME} ALLOW_CONNECTIONS {allow}"))
            if not allow:
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = :name"
                    ),
                    {"name": KIT_TEST_DB_NAME},
                )

    yield switch
    switch(True)
    admin.dispose()
