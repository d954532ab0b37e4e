"""A service whose database refuses connections: its RPCs answer ServiceUnavailable (not an
internal error), and an event it can neither handle nor record stays with RabbitMQ until it can."""

import uuid

import eventlet
import pytest
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import text

from kit.db import Database
from kit.errors import ServiceUnavailable
from kit.events import REQUEUE_DELAY, EventRetry, reliable_handler
from kit.rpc import translate_remote_error
from kit.service import rpc


class KeeperService:
    name = "keeper"
    db = Database()
    event_retry = EventRetry()

    @rpc
    def count_kept(self, ctx):
        return self.db.execute(text("SELECT count(*) FROM handled")).scalar()

    @reliable_handler("emitter", "thing_made")
    def on_thing_made(self, payload):
        self.db.execute(
            text("INSERT INTO handled VALUES (:id, :note)"),
            {"id": payload["event_id"], "note": payload["note"]},
        )


@pytest.fixture
def keeper(container_factory, rabbit_config, kit_db, kit_db_url):
    config = {**rabbit_config, "DATABASE_URL": kit_db_url, "max_workers": 4, "serializer": "json"}
    container_factory(KeeperService, config).start()
    return config


def _handled(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT event_id, note FROM handled")).all()


def test_an_rpc_answers_service_unavailable_while_the_database_refuses(keeper, kit_db_switch):
    kit_db_switch(False)
    with ServiceRpcProxy("keeper", keeper, timeout=10) as proxy:
        try:
            proxy.count_kept({})
        except Exception as exc:  # the proxy raises RemoteError; the kit's client translates
            error = translate_remote_error(exc)
        else:
            raise AssertionError("the call answered while the database refused connections")
        assert isinstance(error, ServiceUnavailable), error
        assert error.fields == {"service": "keeper"}
        kit_db_switch(True)
        assert proxy.count_kept({}) == 0


def test_an_event_whose_failure_cannot_be_recorded_is_handled_once_the_database_is_back(
    keeper, kit_db, kit_db_switch
):
    kit_db_switch(False)
    event_ids = [str(uuid.uuid4()) for _ in range(3)]
    dispatch = event_dispatcher(keeper)
    for event_id in event_ids:
        dispatch("emitter", "thing_made", {"event_id": event_id, "note": "kept"})
    # Several delivery attempts fail while it refuses, with neither handling nor record.
    eventlet.sleep(REQUEUE_DELAY * 2 + 1)
    kit_db_switch(True)
    kit_db.dispose()  # the test's own pooled connections were ended too

    with eventlet.Timeout(REQUEUE_DELAY * 3 + 10):
        while len(_handled(kit_db)) < len(event_ids):
            eventlet.sleep(0.1)
    eventlet.sleep(REQUEUE_DELAY + 0.5)
    assert sorted(str(event_id) for event_id, _ in _handled(kit_db)) == sorted(event_ids)
