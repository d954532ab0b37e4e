"""The outbox publishes what a transaction recorded; handlers run each event once, and a handler
that fails is retried until it succeeds, never dropped."""

import uuid
from datetime import timedelta

import eventlet
import pytest
from nameko.rpc import rpc
from nameko.standalone.events import event_dispatcher
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import MetaData, select, text
from sqlalchemy.orm import Session

from kit import failed_events
from kit.context import Context
from kit.db import Database
from kit.erasure import erase_agency
from kit.errors import NotFound
from kit.events import EventRetry, PermanentFailure, reliable_handler
from kit.outbox import OutboxRelay, publish_pending, purge_published, record_event
from kit.tables import ErasedAgency, FailedEvent, OutboxEvent, ProcessedEvent

AGENCY = "2b1f0c9e-8f8e-4c55-9a51-5c3d8f1d0a11"
FAILURES = {"left": 0}
POISON = {"on": True}
# The `then` step of `on_thing_shipped`: how many times it fails first, and for each call
# whether a transaction was open on the worker's session.
SHIPPING = {"failures_left": 0, "in_transaction": []}


def ship(service, payload):
    """A `then` step: outside the handler's transaction, as a call to another system is."""
    SHIPPING["in_transaction"].append(service.db.in_transaction())
    if SHIPPING["failures_left"] > 0:
        SHIPPING["failures_left"] -= 1
        raise RuntimeError("the carrier does not answer")
    with service.db.begin():
        service.db.execute(
            text("INSERT INTO handled VALUES (:id, 'shipped')"), {"id": payload["event_id"]}
        )


class EmitterService:
    name = "emitter"
    db = Database()
    outbox = OutboxRelay()

    @rpc
    def make_thing(self, ctx, note):
        with self.db.begin():
            record_event(self.db, Context.from_dict(ctx), "thing_made", {"note": note})


class ListenerService(failed_events.FailedEventsRpc):
    name = "listener"
    db = Database()
    event_retry = EventRetry()

    @reliable_handler("emitter", "thing_made")
    def on_thing_made(self, payload):
        if payload["note"] == "poison" and POISON["on"]:
            raise PermanentFailure("this event can never be handled")
        if FAILURES["left"] > 0:
            FAILURES["left"] -= 1
            raise RuntimeError("downstream is down")
        self.db.execute(
            text("INSERT INTO handled VALUES (:id, :note)"),
            {"id": payload["event_id"], "note": payload["note"]},
        )

    @reliable_handler("emitter", "thing_shipped", then=ship)
    def on_thing_shipped(self, payload):
        self.db.execute(
            text("INSERT INTO handled VALUES (:id, 'claimed')"), {"id": payload["event_id"]}
        )


@pytest.fixture
def running(container_factory, rabbit_config, kit_db, kit_db_url):
    config = {**rabbit_config, "DATABASE_URL": kit_db_url, "max_workers": 4, "serializer": "json"}
    for cls in (ListenerService, EmitterService):
        container_factory(cls, config).start()
    FAILURES["left"] = 0
    POISON["on"] = True
    SHIPPING.update(failures_left=0, in_transaction=[])
    return config


def _wait_for(predicate, seconds=10.0):
    with eventlet.Timeout(seconds):
        while not predicate():
            eventlet.sleep(0.05)


def _handled(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT event_id, note FROM handled")).all()


def test_an_event_recorded_in_a_transaction_is_published_and_handled_once(running, kit_db):
    ctx = Context(agency_id=AGENCY).to_dict()
    with ServiceRpcProxy("emitter", running, timeout=5) as emitter:
        emitter.make_thing(ctx, "first")
    _wait_for(lambda: len(_handled(kit_db)) == 1)
    with Session(kit_db) as session:
        row = session.scalars(select(OutboxEvent)).one()
        assert row.published_at is not None
        assert row.payload["agency_id"] == AGENCY
        assert row.payload["request_id"] == ctx["request_id"]


def test_the_same_event_delivered_twice_is_handled_once(running, kit_db):
    dispatch = event_dispatcher(running)
    payload = {"event_id": str(uuid.uuid4()), "note": "twice"}
    dispatch("emitter", "thing_made", payload)
    dispatch("emitter", "thing_made", payload)
    _wait_for(lambda: len(_handled(kit_db)) >= 1)
    eventlet.sleep(0.5)
    assert [note for _, note in _handled(kit_db)] == ["twice"]


def test_a_failing_handler_is_recorded_and_retried_until_it_succeeds(running, kit_db):
    FAILURES["left"] = 2
    dispatch = event_dispatcher(running)
    event_id = str(uuid.uuid4())
    dispatch("emitter", "thing_made", {"event_id": event_id, "note": "eventually"})

    def recorded():
        with Session(kit_db) as session:
            return session.get(FailedEvent, (uuid.UUID(event_id), "listener.on_thing_made"))

    _wait_for(lambda: recorded() is not None)
    assert "downstream is down" in recorded().error
    _wait_for(lambda: len(_handled(kit_db)) == 1, seconds=15)
    assert recorded() is None, "a handled event leaves no failure behind"


def test_a_then_step_runs_after_the_commit_outside_a_transaction_and_is_retried(running, kit_db):
    SHIPPING["failures_left"] = 1
    event_id = str(uuid.uuid4())
    event_dispatcher(running)("emitter", "thing_shipped", {"event_id": event_id, "note": "x"})

    def recorded():
        with Session(kit_db) as session:
            return session.get(FailedEvent, (uuid.UUID(event_id), "listener.on_thing_shipped"))

    seen = []
    _wait_for(lambda: seen.append(recorded()) or seen[-1] is not None)
    assert "the carrier does not answer" in seen[-1].error and seen[-1].attempts == 1
    # The handler's transaction committed before the step failed; the retry finds the event
    # processed and runs only the step again.
    _wait_for(lambda: len(_handled(kit_db)) == 2, seconds=15)
    assert sorted(note for _, note in _handled(kit_db)) == ["claimed", "shipped"]
    assert SHIPPING["in_transaction"] == [False, False]
    _wait_for(lambda: recorded() is None)


def test_an_event_that_can_never_succeed_is_kept_as_dead_at_once(running, kit_db):
    event_id = uuid.uuid4()
    event_dispatcher(running)(
        "emitter", "thing_made", {"event_id": str(event_id), "note": "poison"}
    )

    def status():
        with Session(kit_db) as session:
            row = session.get(FailedEvent, (event_id, "listener.on_thing_made"))
            return row and (row.status, row.attempts)

    _wait_for(lambda: status() is not None)
    assert status() == ("dead", 1)
    assert _handled(kit_db) == []


def test_a_publish_that_fails_keeps_the_event_for_later(kit_db):
    with Session(kit_db) as session:
        record_event(session, Context(agency_id=AGENCY), "thing_made", {"note": "kept"})
        session.commit()

        def broker_down(event_type, payload):
            raise ConnectionError("broker unreachable")

        assert publish_pending(session, broker_down) == 0
        row = session.scalars(select(OutboxEvent)).one()
        assert row.published_at is None
        assert row.attempts == 1
        assert "broker unreachable" in row.last_error

        row.next_attempt_at = row.created_at  # due again now
        session.commit()
        sent = []
        assert publish_pending(session, lambda t, p: sent.append((t, p["note"]))) == 1
        assert sent == [("thing_made", "kept")]


def test_once_published_the_outbox_keeps_no_one_time_link(kit_db):
    with Session(kit_db) as session:
        record_event(
            session, Context(agency_id=AGENCY), "thing_made", {"note": "n", "reset_token": "s3cr3t"}
        )
        session.commit()
        sent = []
        publish_pending(session, lambda t, p: sent.append(p))
        assert sent[0]["reset_token"] == "s3cr3t", "the subscriber still gets the link"
        row = session.scalars(select(OutboxEvent)).one()
        assert row.payload["reset_token"] == "[redacted]"
        assert row.payload["note"] == "n"


def test_published_events_are_purged_after_a_week(kit_db):
    with Session(kit_db) as session:
        for note in ("old", "new"):
            record_event(session, Context(agency_id=AGENCY), "thing_made", {"note": note})
        session.commit()
        publish_pending(session, lambda t, p: None)
        old = next(r for r in session.scalars(select(OutboxEvent)) if r.payload["note"] == "old")
        old.published_at = old.published_at - timedelta(days=8)
        session.commit()
        assert purge_published(session) == 1
        assert [r.payload["note"] for r in session.scalars(select(OutboxEvent))] == ["new"]


def test_an_event_without_an_event_id_is_kept_as_dead_not_dropped(running, kit_db):
    event_dispatcher(running)("emitter", "thing_made", {"note": "anonymous"})

    def dead():
        with Session(kit_db) as session:
            return session.scalars(select(FailedEvent).where(FailedEvent.status == "dead")).all()

    _wait_for(lambda: dead())
    [row] = dead()
    assert row.payload == {"note": "anonymous"} and "event_id" in row.error
    assert _handled(kit_db) == []


def test_a_dead_event_is_listed_for_its_agency_and_retried_by_hand(running, kit_db):
    event_id = str(uuid.uuid4())
    payload = {"event_id": event_id, "note": "poison", "agency_id": AGENCY, "name": "Ann"}
    event_dispatcher(running)("emitter", "thing_made", payload)
    admin = Context(agency_id=AGENCY, permissions=["manage_settings"]).to_dict()
    stranger = Context(agency_id=str(uuid.uuid4()), permissions=["manage_settings"]).to_dict()

    with ServiceRpcProxy("listener", running, timeout=5) as listener:
        _wait_for(lambda: listener.list_failed_events(admin)["total"] == 1)
        page = listener.list_failed_events(admin, status="dead")
        [dead] = page["items"]
        assert (dead["status"], dead["summary"], dead["next_attempt_at"]) == ("dead", "Ann", None)
        assert listener.list_failed_events(stranger)["total"] == 0
        try:
            listener.retry_failed_event(stranger, event_id, dead["handler"])
        except Exception as exc:
            assert exc.exc_type == NotFound.__name__
        else:
            raise AssertionError("another agency retried the event")

        POISON["on"] = False
        retried = listener.retry_failed_event(admin, event_id, dead["handler"])
        assert retried["status"] == "retrying"
        _wait_for(lambda: listener.list_failed_events(admin)["total"] == 0)
    assert [note for _, note in _handled(kit_db)] == ["poison"]


def test_an_event_about_an_erased_agency_arriving_late_is_ignored(running, kit_db):
    """kit.erasure leaves a tombstone: a late event of the erased agency is recorded as
    processed and not handled; another agency's events go on."""
    erased, other = str(uuid.uuid4()), str(uuid.uuid4())
    with Session(kit_db) as session, session.begin():
        erase_agency(session, MetaData(), erased)
        erase_agency(session, MetaData(), erased)  # a redelivered agency_deleted: harmless
    dispatch = event_dispatcher(running)
    late = str(uuid.uuid4())
    dispatch("emitter", "thing_made", {"event_id": late, "agency_id": erased, "note": "late"})
    dispatch(
        "emitter", "thing_made", {"event_id": str(uuid.uuid4()), "agency_id": other, "note": "on"}
    )
    _wait_for(lambda: len(_handled(kit_db)) == 1)

    def processed():
        with Session(kit_db) as session:
            return session.get(ProcessedEvent, (uuid.UUID(late), "listener.on_thing_made"))

    _wait_for(lambda: processed() is not None)
    assert [note for _, note in _handled(kit_db)] == ["on"]
    with Session(kit_db) as session:
        assert session.get(ErasedAgency, uuid.UUID(erased)) is not None
        assert session.scalars(select(FailedEvent)).all() == []


def test_an_event_handled_while_its_agency_is_being_erased_waits_and_is_then_ignored(
    running, kit_db
):
    """The erasure holds the agency's lock to its commit: an event of the agency arriving
    meanwhile is neither handled before it (and left behind) nor after it."""
    agency = str(uuid.uuid4())
    event_id = str(uuid.uuid4())
    with Session(kit_db) as session, session.begin():
        erase_agency(session, MetaData(), agency)  # not committed yet
        event_dispatcher(running)(
            "emitter", "thing_made", {"event_id": event_id, "agency_id": agency, "note": "racing"}
        )
        eventlet.sleep(1.0)
        with Session(kit_db) as other:  # the handler waits on the lock: nothing recorded yet
            assert (
                other.get(ProcessedEvent, (uuid.UUID(event_id), "listener.on_thing_made")) is None
            )

    def processed():
        with Session(kit_db) as session:
            return session.get(ProcessedEvent, (uuid.UUID(event_id), "listener.on_thing_made"))

    _wait_for(lambda: processed() is not None)
    assert _handled(kit_db) == []
