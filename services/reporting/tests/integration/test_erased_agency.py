"""An agency deleted (identity's `agency_deleted`): reporting erases its rows, and a clients or
billing event about it still in flight when it arrives afterwards re-creates nothing (the
erasure's tombstone, kit.erasure)."""

from __future__ import annotations

import time
import uuid

import pytest
from nameko.standalone.events import event_dispatcher
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kit.tables import ErasedAgency, ProcessedEvent
from kit.testing import service_config, truncate_all
from reporting.models import BalanceFact, ClientChange, ClientFact
from reporting.service import ReportingService


@pytest.fixture
def reporting(container_factory, rabbit_config, db_url):
    truncate_all(db_url)
    config = service_config("reporting", rabbit_config, db_url)
    container_factory(ReportingService, config).start()
    return config


def wait(check, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not (answer := check()):
        assert time.monotonic() < deadline, "not within the time"
        time.sleep(0.1)
    return answer


def rows(engine, model, agency) -> int:
    with Session(engine) as session:
        return session.scalar(
            select(func.count()).select_from(model).where(model.agency_id == uuid.UUID(agency))
        )


def test_events_about_a_deleted_agency_arriving_late_re_create_nothing(reporting, engine):
    dispatch = event_dispatcher(reporting)
    agency, other, client = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())

    def send(service, event_type, agency_id, **fields) -> str:
        event_id = str(uuid.uuid4())
        payload = {"event_id": event_id, "event_type": event_type, "agency_id": agency_id}
        dispatch(service, event_type, payload | fields)
        return event_id

    send("clients", "client_created", agency, client_id=client, name="Globex", status="active")
    wait(lambda: rows(engine, ClientFact, agency) == 1)
    send("identity", "agency_deleted", agency)
    wait(lambda: rows(engine, ClientFact, agency) == 0)
    topped = {
        "transfer_id": str(uuid.uuid4()),
        "account": "client",
        "client_id": client,
        "amount": {"amount": 2500, "currency": "USD"},
        "method": "card",
        "balance_after": {"amount": 2500, "currency": "USD"},
    }
    late = [
        send("clients", "client_updated", agency, client_id=client, name="Globex Corp"),
        send("clients", "client_created", agency, client_id=str(uuid.uuid4()), name="Hooli"),
        send("billing", "balance_topped_up", agency, **topped),
    ]
    send("clients", "client_created", other, client_id=str(uuid.uuid4()), name="Initech")

    def processed() -> int:
        with Session(engine) as session:
            return session.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.event_id.in_([uuid.UUID(e) for e in late]))
            )

    wait(lambda: processed() == len(late))
    wait(lambda: rows(engine, ClientFact, other) == 1)  # another agency's events go on
    for model in (ClientFact, ClientChange, BalanceFact):
        assert rows(engine, model, agency) == 0, model.__tablename__
    with Session(engine) as session:
        assert session.get(ErasedAgency, uuid.UUID(agency)) is not None
