"""A background loop inside a nameko service that publishes what it finds in the database.

The outbox relay and the event retry are both one: poll a table, publish to RabbitMQ, sleep.
"""

from __future__ import annotations

import logging

import eventlet
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker

from kit.db import DATABASE_URL_KEY, make_engine

log = logging.getLogger(__name__)


class PollingPublisher(DependencyProvider):
    """Runs `poll(session)` in a managed thread until the service stops.

    `poll` returns True when there may be more to do at once, False to sleep `interval`.
    """

    interval = 0.5

    def setup(self) -> None:
        config = self.container.config
        self.engine = make_engine(config[DATABASE_URL_KEY], pool_size=1)
        self.sessionmaker = sessionmaker(bind=self.engine)
        self.publisher = Publisher(config[AMQP_URI_CONFIG_KEY], serializer="json")
        self.running = False

    def start(self) -> None:
        self.running = True
        self.container.spawn_managed_thread(self._run)

    def stop(self) -> None:
        self.running = False
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def poll(self, session: Session) -> bool:
        raise NotImplementedError

    def _run(self) -> None:
        while self.running:
            try:
                with self.sessionmaker() as session:
                    busy = self.poll(session)
            except Exception:
                log.exception("%s pass failed", type(self).__name__)
                busy = False
            if not busy:
                eventlet.sleep(self.interval)
