"""A background loop inside a nameko service that publishes what it finds in the database.

The outbox relay and the event retry are both one: poll a table, publish to RabbitMQ, sleep.
A database or broker that goes away and comes back needs no restart: the loop keeps polling
(the engine pings its connections, each publish takes a fresh broker connection), saying so in
one warning line when the outage starts and one line when it ends, not a traceback a poll.
"""

from __future__ import annotations

import logging

import eventlet
from kombu.exceptions import OperationalError as BrokerError
from nameko.amqp.publish import Publisher
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session, sessionmaker

from kit.db import DATABASE_URL_KEY, database_unreachable, make_engine, short_reason

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
        self.outage: str | None = None

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
            except Exception as exc:
                self._failed(exc)
                busy = False
            else:
                if self.outage:
                    log.warning(
                        "%s works again (the outage was: %s)", type(self).__name__, self.outage
                    )
                    self.outage = None
            if not busy:
                eventlet.sleep(self.interval)

    def _failed(self, exc: Exception) -> None:
        name = type(self).__name__
        if not (database_unreachable(exc) or isinstance(exc, (BrokerError, OSError))):
            log.exception("%s pass failed", name)
        elif self.outage is None:
            self.outage = short_reason(exc)
            log.warning("%s cannot work (%s); retrying until it can", name, self.outage)
