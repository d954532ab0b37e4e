"""Many events recorded at once (a bulk import's batch) are published like single ones."""

from sqlalchemy import select
from sqlalchemy.orm import Session

from kit.context import Context
from kit.outbox import publish_pending, record_event, record_events
from kit.tables import OutboxEvent

AGENCY = "2b1f0c9e-8f8e-4c55-9a51-5c3d8f1d0a11"


def test_a_batch_of_events_is_published_with_the_fields_the_outbox_sets(kit_db):
    ctx = Context(agency_id=AGENCY, request_id="req-1")
    with Session(kit_db) as session:
        record_event(session, ctx, "thing_made", {"note": "single"})
        session.flush()
        recorded = record_events(
            session, ctx, [("thing_made", {"note": "a"}), ("thing_changed", {"note": "b"})]
        )
        session.commit()
        sent = []
        assert publish_pending(session, lambda t, p: sent.append((t, p))) == 3
    assert (sent[0][0], sent[0][1]["note"]) == ("thing_made", "single")
    # one statement: the batch's events share a created_at, so only the batch follows the single
    assert {(t, p["note"], p["event_id"]) for t, p in sent[1:]} == {
        (t, p["note"], p["event_id"])
        for t, p in zip(["thing_made", "thing_changed"], recorded, strict=True)
    }
    assert {(p["agency_id"], p["request_id"]) for _, p in sent} == {(AGENCY, "req-1")}


def test_a_batch_rolled_back_leaves_nothing_to_publish(kit_db):
    with Session(kit_db) as session:
        record_events(session, Context(agency_id=AGENCY), [("thing_made", {"note": "x"})])
        session.rollback()
        assert session.scalars(select(OutboxEvent)).all() == []
        assert record_events(session, Context(agency_id=AGENCY), []) == []
