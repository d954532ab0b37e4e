"""A client's status history: each change kept with its event's id and time, in the change's own
transaction (the app, an import), read a page at a time within the agency; migration 0040's
backfill."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from clients import companies, status_history
from clients.imports import running
from kit.errors import NotFound, PermissionDenied
from kit.migrate import alembic_config, create_database, upgrade
from kit.testing import database_url_for_tests, drop_database, team_context


def history(session, ctx, **kwargs) -> list[tuple]:
    page = status_history.list_status_history(session, ctx, **kwargs)
    session.rollback()
    return [(h["kind"], h["status"], h["old_status"]) for h in page["items"]]


def test_every_change_of_standing_is_kept_with_its_events_id_and_time(
    session, ctx, answers, outbox
):
    client = companies.create_client(session, ctx, answers, name="Acme")
    companies.set_status(session, ctx, client["id"], "inactive")
    companies.set_status(session, ctx, client["id"], "inactive")  # no change: nothing kept
    companies.set_status(session, ctx, client["id"], "active")
    companies.archive_client(session, ctx, client["id"])
    companies.restore_client(session, ctx, None, client["id"])
    companies.update_client(session, ctx, answers, client["id"], name="Acme Two")
    session.commit()
    page = status_history.list_status_history(session, ctx)
    session.rollback()
    assert [(h["kind"], h["status"], h["old_status"]) for h in page["items"]] == [
        ("created", "active", None),
        ("status", "inactive", "active"),
        ("status", "active", "inactive"),
        ("archived", None, None),
        ("restored", None, None),
    ]
    kinds = {"client_created", "client_status_changed", "client_archived", "client_restored"}
    published = [e for e in outbox(session) if e["event_type"] in kinds]
    session.rollback()
    assert [h["id"] for h in page["items"]] == [e["event_id"] for e in published]
    assert [h["occurred_at"] for h in page["items"]] == [
        datetime.fromisoformat(e["occurred_at"]).isoformat() for e in published
    ]
    assert not any(h["backfilled"] for h in page["items"])


def test_a_change_that_fails_keeps_no_history(session, ctx, answers):
    client = companies.create_client(session, ctx, answers, name="Acme")
    session.commit()
    companies.set_status(session, ctx, client["id"], "inactive")
    session.rollback()
    assert history(session, ctx) == [("created", "active", None)]


def test_an_import_keeps_creations_and_status_changes(session, ctx, answers, identity, outbox):
    companies.create_client(session, ctx, answers, name="Acme")
    session.commit()
    job = running.start_import(
        session, ctx, identity, None, "clients", "Name,Status\nAcme,inactive\nGlobex,\n", None
    )
    session.commit()
    assert (job.created, job.updated) == (1, 1)
    assert sorted(history(session, ctx)) == [
        ("created", "active", None),
        ("created", "active", None),
        ("status", "inactive", "active"),
    ]
    [changed] = outbox(session, "client_status_changed")
    session.rollback()
    assert (changed["name"], changed["old_status"], changed["status"]) == (
        "Acme",
        "active",
        "inactive",
    )


def test_history_is_read_per_agency_per_client_and_a_page_at_a_time(
    session, ctx, make_ctx, answers
):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    for name in ("Globex", "Initech"):
        companies.create_client(session, ctx, answers, name=name)
    companies.set_status(session, ctx, acme["id"], "inactive")
    stranger = make_ctx()
    companies.create_client(session, stranger, answers, name="Hooli")
    session.commit()
    first = status_history.list_status_history(session, ctx, page=1, per_page=3)
    second = status_history.list_status_history(session, ctx, page=2, per_page=3)
    session.rollback()
    assert (first["total"], len(first["items"]), len(second["items"])) == (4, 3, 1)
    assert second["items"][0]["kind"] == "status"
    assert history(session, ctx, client_id=acme["id"]) == [
        ("created", "active", None),
        ("status", "inactive", "active"),
    ]
    assert history(session, stranger) == [("created", "active", None)]
    assert history(session, stranger, client_id=acme["id"]) == []
    with pytest.raises(NotFound):
        status_history.list_status_history(session, ctx, client_id="nope")
    with pytest.raises(PermissionDenied):
        status_history.list_status_history(session, team_context(ctx.agency, {"view_billing"}))


@pytest.fixture
def before_history():
    """A clients database migrated up to the revision before the history table."""
    url = database_url_for_tests("clients", f"_test_backfill_{os.getpid()}")
    drop_database(url)
    create_database(url)
    command.upgrade(alembic_config("clients", url), "0031_polish_required_fields")
    yield url
    drop_database(url)


def test_the_migration_backfills_what_is_known(before_history):
    agency = uuid.uuid4()
    fresh, old, archived = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    created = datetime(2026, 1, 5, 12, tzinfo=UTC)
    engine = create_engine(before_history)
    try:
        with engine.begin() as db:
            for client_id, name, status, archived_at in (
                (fresh, "Fresh", "inactive", None),
                (old, "Old", "inactive", None),
                (archived, "Gone", "active", datetime(2026, 2, 1, tzinfo=UTC)),
            ):
                db.execute(
                    text(
                        "INSERT INTO clients (id, agency_id, name, description, website, "
                        "address, tags, account_manager_ids, custom_fields, status, archived_at,"
                        " created_at, updated_at, last_activity_at) VALUES (:id, :agency, :name,"
                        " '', '', '', '{}', '{}', '{}', :status, :archived, :created, :updated,"
                        " :updated)"
                    ),
                    {
                        "id": client_id,
                        "agency": agency,
                        "name": name,
                        "status": status,
                        "archived": archived_at,
                        "created": created,
                        "updated": datetime(2026, 3, 1, tzinfo=UTC),
                    },
                )
            # Fresh's change is still in the outbox (published within 7 days): kept as it was.
            event_id = uuid.uuid4()
            db.execute(
                text(
                    "INSERT INTO outbox (event_id, agency_id, event_type, payload, created_at,"
                    " attempts, next_attempt_at) VALUES (:id, :agency, 'client_status_changed',"
                    " CAST(:payload AS jsonb), now(), 0, now())"
                ),
                {
                    "id": event_id,
                    "agency": agency,
                    "payload": (
                        f'{{"client_id": "{fresh}", "old_status": "active", '
                        '"status": "inactive", "occurred_at": "2026-02-10T10:00:00+00:00"}'
                    ),
                },
            )
        upgrade("clients", before_history)
        with engine.begin() as db:
            rows = db.execute(
                text(
                    "SELECT client_id, kind, status, occurred_at, id, backfilled "
                    "FROM client_status_history ORDER BY client_id, occurred_at"
                )
            ).all()
    finally:
        engine.dispose()
    by_client: dict = {}
    for row in rows:
        by_client.setdefault(row.client_id, []).append(row)
    assert [(r.kind, r.status) for r in by_client[fresh]] == [
        ("created", "active"),  # the old status of its first known change
        ("status", "inactive"),
    ]
    assert by_client[fresh][1].id == event_id
    assert by_client[fresh][1].occurred_at == datetime(2026, 2, 10, 10, tzinfo=UTC)
    # Old's change is gone from the outbox: created with the status it has now.
    assert [(r.kind, r.status, r.occurred_at) for r in by_client[old]] == [
        ("created", "inactive", created)
    ]
    assert [(r.kind, r.occurred_at) for r in by_client[archived]] == [
        ("created", created),
        ("archived", datetime(2026, 2, 1, tzinfo=UTC)),
    ]
    assert all(r.backfilled for r in rows)
