"""The notifications service against real PostgreSQL, RabbitMQ and an in-process SMTP server."""

from __future__ import annotations

import pytest
from nameko.standalone.events import event_dispatcher
from notification_helpers import PUBLIC_URL, SmtpSink, free_port
from sqlalchemy import create_engine

from kit.testing import fresh_database, service_config, truncate_all
from notifications.service import NotificationsService


@pytest.fixture(scope="session")
def notifications_db_url() -> str:
    return fresh_database("notifications")


@pytest.fixture
def db(notifications_db_url):
    truncate_all(notifications_db_url)
    engine = create_engine(notifications_db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def smtp():
    sink = SmtpSink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def service_config_for(rabbit_config, notifications_db_url, smtp):
    return service_config(
        "notifications",
        rabbit_config,
        notifications_db_url,
        SMTP_PORT=smtp.port,
        SMTP_TIMEOUT=3,
        PUBLIC_URL=PUBLIC_URL,
        RPC_TIMEOUT=5,
        max_workers=4,
    )


@pytest.fixture
def notifications(container_factory, service_config_for, db):
    container = container_factory(NotificationsService, service_config_for)
    container.start()
    return service_config_for


@pytest.fixture
def dispatch(rabbit_config):
    """dispatch(source_service, event_type, payload) as the source service's outbox would."""
    return event_dispatcher({**rabbit_config, "serializer": "json"})
