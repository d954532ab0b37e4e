"""Identity's tests run against a real PostgreSQL test database, migrated once per session and
emptied before each test. Password hashing uses cheap argon2 parameters here: the production
parameters cost about 0.1 s a hash, which would dominate the suite and prove nothing more."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from identity import passwords
from identity.settings import Settings
from kit.config import load_config
from kit.testing import fresh_database, truncate_all

STRONG_PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashing():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "hasher", PasswordHasher(time_cost=1, memory_cost=1024))
        yield


SETTING_KEYS = (
    "SESSION_IDLE_DAYS",
    "SESSION_MAX_DAYS",
    "LOGIN_WINDOW_MINUTES",
    "LOGIN_FREE_FAILURES",
    "LOGIN_DELAY_SECONDS",
    "LOGIN_MAX_DELAY_SECONDS",
    "LOGIN_IP_SLOW_AFTER",
    "LOGIN_IP_DELAY_SECONDS",
    "LOGIN_MAX_ACCOUNT_FAILURES",
)


@pytest.fixture
def default_settings_env(monkeypatch):
    """No identity setting from the environment: config.yaml's defaults apply (a shell that
    raised LOGIN_IP_SLOW_AFTER for the stack tests must not change these tests)."""
    for key in SETTING_KEYS:
        monkeypatch.delenv(key, raising=False)


@pytest.fixture
def settings(default_settings_env) -> Settings:
    """The settings config.yaml gives by default, as the service reads them."""
    return Settings.from_config(load_config("identity"))


@pytest.fixture(scope="session")
def migrated_db() -> str:
    """The test database at head."""
    return fresh_database("identity")


@pytest.fixture
def db_url(migrated_db) -> str:
    """An empty database but for the plans the migration seeded."""
    truncate_all(migrated_db, keep=("plans",))
    return migrated_db


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


def newest_confirm_token(db_url: str, email: str) -> str | None:
    """A working confirmation link token for the newest pending user with `email`, as the one
    e-mailed to them would be (issued afresh: the outbox relay redacts the e-mailed one once it
    is published). None when no user of that address is pending."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from identity import one_time
    from identity.models import User
    from kit.db import make_engine

    engine = make_engine(db_url, pool_size=1)
    try:
        with Session(engine) as session:
            user = session.scalar(
                select(User)
                .where(func.lower(User.email) == email.lower(), User.email_confirmed_at.is_(None))
                .order_by(User.created_at.desc())
            )
            if user is None:
                return None
            token, _ = one_time.issue(session, user, one_time.INVITATION)
            session.commit()
            return token
    finally:
        engine.dispose()


@pytest.fixture
def confirm_token(db_url):
    """confirm_token(email): a token of the link that confirms the pending `email`."""
    return lambda email: newest_confirm_token(db_url, email)
