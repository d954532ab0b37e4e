"""Billing keeps clients and the agency's time zone from identity's and clients' events, and
`python -m billing.refresh_clients` re-reads them over RPC."""

import uuid

from nameko.standalone.events import event_dispatcher
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from billing.models import AgencyFact, ClientFact
from billing.refresh_clients import refresh
from kit.rpc import RpcClient
from kit.tables import ErasedAgency, FailedEvent, ProcessedEvent
from kit.testing import signed_up_owner as sign_up


def fact(engine, model, key):
    with Session(engine) as session:
        return session.get(model, uuid.UUID(key))


def archived(engine, client_id) -> bool:
    known = fact(engine, ClientFact, client_id)
    return known is not None and known.archived


def test_clients_and_the_time_zone_arrive_by_events(neighbours, engine, eventually):
    identity, clients = neighbours
    owner = sign_up(identity)
    assert eventually(lambda: fact(engine, AgencyFact, owner["agency_id"]))
    identity.update_agency(owner, timezone="Asia/Tokyo")
    assert eventually(lambda: fact(engine, AgencyFact, owner["agency_id"]).timezone == "Asia/Tokyo")
    made = clients.create_client(owner, "Globex")
    known = eventually(lambda: fact(engine, ClientFact, made["id"]))
    assert (known.name, known.status, known.archived) == ("Globex", "active", False)
    clients.update_client(owner, made["id"], name="Globex Corp")
    clients.archive_client(owner, made["id"])
    assert eventually(lambda: archived(engine, made["id"]))
    assert fact(engine, ClientFact, made["id"]).name == "Globex Corp"


def test_refresh_re_reads_every_client_over_rpc(neighbours, engine, billing_config, eventually):
    identity, clients = neighbours
    owner = sign_up(identity)
    clients.create_client(owner, "Initech")
    gone = clients.create_client(owner, "Hooli")
    clients.archive_client(owner, gone["id"])
    assert eventually(lambda: archived(engine, gone["id"]))
    with Session(engine) as session, session.begin():
        session.execute(delete(ClientFact))
        session.execute(delete(AgencyFact))
    rpc = RpcClient(billing_config, timeout=10)
    try:
        with Session(engine) as session:
            counts = refresh(session, [uuid.UUID(owner["agency_id"])], rpc)
    finally:
        rpc.close()
    assert counts == {owner["agency_id"]: 2}
    with Session(engine) as session:
        rows = session.execute(select(ClientFact.name, ClientFact.archived)).all()
    assert sorted(rows) == [("Hooli", True), ("Initech", False)]
    assert fact(engine, AgencyFact, owner["agency_id"]).timezone == "UTC"


def test_the_billing_contact_arrives_by_events_and_by_refresh(
    neighbours, engine, billing_config, eventually
):
    identity, clients = neighbours
    owner = sign_up(identity)
    made = clients.create_client(owner, "Umbrella")
    clients.create_contact(owner, "Ada", "ada@umbrella.test", client_id=made["id"])
    bob = clients.create_contact(owner, "Bob", "bob@umbrella.test", client_id=made["id"])
    assert eventually(
        lambda: (
            (fact(engine, ClientFact, made["id"]) or ClientFact()).billing_email
            == "ada@umbrella.test"
        )
    )
    clients.set_billing_contact(owner, made["id"], bob["id"])
    assert eventually(
        lambda: fact(engine, ClientFact, made["id"]).billing_email == "bob@umbrella.test"
    )
    with Session(engine) as session, session.begin():
        session.execute(delete(ClientFact))
    rpc = RpcClient(billing_config, timeout=10)
    try:
        with Session(engine) as session:
            refresh(session, [uuid.UUID(owner["agency_id"])], rpc)
    finally:
        rpc.close()
    known = fact(engine, ClientFact, made["id"])
    assert (known.billing_contact_name, known.billing_email) == ("Bob", "bob@umbrella.test")


def test_a_client_failed_past_the_agencys_days_is_set_inactive_by_the_clients_service(
    neighbours, engine, eventually
):
    from datetime import timedelta

    from billing.models import BillingSettings, Invoice
    from billing.payments.overdue import report_overdue
    from kit.db import utcnow

    identity, clients = neighbours
    owner = sign_up(identity)
    made = clients.create_client(owner, "Soylent")
    assert eventually(lambda: fact(engine, ClientFact, made["id"]))
    agency = uuid.UUID(owner["agency_id"])
    with Session(engine) as session, session.begin():
        session.add(BillingSettings(agency_id=agency, inactive_after_failed_days=3))
        today = utcnow().date()
        session.add(
            Invoice(
                agency_id=agency,
                number=1,
                client_id=uuid.UUID(made["id"]),
                client_name="Soylent",
                issued_on=today,
                due_on=today,
                payment_method="card",
                currency="USD",
                total=900,
                status="failed",
                failed_at=utcnow() - timedelta(days=4),
            )
        )
    with Session(engine) as session, session.begin():
        assert report_overdue(session) == 1
    # billing's outbox publishes client_payment_overdue; the clients service handles it
    assert eventually(lambda: clients.get_client(owner, made["id"])["status"] == "inactive")
    assert eventually(lambda: fact(engine, ClientFact, made["id"]).status == "inactive")


def test_a_client_billing_has_not_heard_of_yet_is_learnt_once_asked(
    neighbours, billing, engine, eventually
):
    """An integration assigns a service in the same breath as it creates the client: billing has
    not had the `client_created` event yet (here: its fact is removed after it came), asks the
    clients service, remembers the client and assigns; another agency's client stays refused."""
    from datetime import date

    import pytest

    from kit.errors import ValidationError

    identity, clients = neighbours
    owner = sign_up(identity)
    made = clients.create_client(owner, "Wayne Enterprises")
    assert eventually(lambda: fact(engine, ClientFact, made["id"]))
    with Session(engine) as session, session.begin():
        session.execute(delete(ClientFact).where(ClientFact.client_id == uuid.UUID(made["id"])))
    seo = billing.add_service(owner, "SEO")
    today = date.today().isoformat()
    assigned = billing.assign_service(owner, seo["id"], made["id"], "check", "one_time", today, 900)
    assert assigned["client"] == {"id": made["id"], "name": "Wayne Enterprises"}
    assert fact(engine, ClientFact, made["id"]).name == "Wayne Enterprises"

    stranger = sign_up(identity)
    theirs = clients.create_client(stranger, "Stark Industries")
    assert eventually(lambda: fact(engine, ClientFact, theirs["id"]))
    with pytest.raises(ValidationError) as refused:
        billing.assign_service(owner, seo["id"], theirs["id"], "check", "one_time", today, 900)
    assert refused.value.fields == {"client_id": "No such client."}
    with pytest.raises(ValidationError):
        billing.assign_service(owner, seo["id"], str(uuid.uuid4()), "check", "one_time", today, 9)
    assert billing.list_assignments(owner)["total"] == 1


def test_a_clients_event_arriving_after_agency_deleted_re_creates_nothing(
    billing, billing_config, engine, eventually
):
    """A `client_updated` (or `client_created`) still in flight when the agency is deleted must
    not bring its client facts back: the erasure's tombstone makes billing ignore it."""
    dispatch = event_dispatcher(billing_config)
    agency, other = str(uuid.uuid4()), str(uuid.uuid4())
    client = str(uuid.uuid4())

    def client_event(event_type, agency_id, client_id, name):
        event_id = str(uuid.uuid4())
        payload = {
            "event_id": event_id,
            "event_type": event_type,
            "agency_id": agency_id,
            "client_id": client_id,
            "name": name,
            "status": "active",
        }
        dispatch("clients", event_type, payload)
        return event_id

    client_event("client_created", agency, client, "Globex")
    assert eventually(lambda: fact(engine, ClientFact, client))
    dispatch(
        "identity",
        "agency_deleted",
        {"event_id": str(uuid.uuid4()), "event_type": "agency_deleted", "agency_id": agency},
    )
    assert eventually(lambda: fact(engine, ClientFact, client) is None)
    late = [
        client_event("client_updated", agency, client, "Globex Corp"),
        client_event("client_created", agency, str(uuid.uuid4()), "Hooli"),
    ]
    theirs = str(uuid.uuid4())
    client_event("client_created", other, theirs, "Initech")

    def processed():
        with Session(engine) as session:
            return session.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.event_id.in_([uuid.UUID(e) for e in late]))
            )

    assert eventually(lambda: processed() == 2)
    assert eventually(lambda: fact(engine, ClientFact, theirs))
    with Session(engine) as session:
        left = session.scalar(
            select(func.count()).select_from(ClientFact).where(ClientFact.agency_id == agency)
        )
        assert left == 0
        assert session.get(ErasedAgency, uuid.UUID(agency)) is not None
        assert session.scalars(select(FailedEvent)).all() == []


def test_an_older_agency_event_arriving_late_changes_nothing(engine):
    """identity's `agency_signed_up` and `agency_updated` reach billing's two handlers in any
    order: the later state stays (each event says the whole agency as it was then)."""
    from billing.facts.agencies import learn_from_event

    agency = str(uuid.uuid4())
    signed_up = {"agency_id": agency, "agency_name": "Acme", "timezone": "UTC"}
    renamed = {
        "agency_id": agency,
        "name": "Blue Fox Studio",
        "timezone": "Europe/Paris",
        "branding": {"color": "#0066cc"},
    }
    with Session(engine) as session, session.begin():
        learn_from_event(session, {**renamed, "occurred_at": "2026-11-29T10:00:01+00:00"})
        learn_from_event(session, {**signed_up, "occurred_at": "2026-11-29T10:00:00+00:00"})
    known = fact(engine, AgencyFact, agency)
    assert (known.name, known.timezone, known.brand_color) == (
        "Blue Fox Studio",
        "Europe/Paris",
        "#0066cc",
    )
    with Session(engine) as session, session.begin():
        learn_from_event(
            session, {**renamed, "name": "Red Fox", "occurred_at": "2026-11-29T10:00:02+00:00"}
        )
    assert fact(engine, AgencyFact, agency).name == "Red Fox"


def test_older_client_events_handled_late_bring_back_nothing(engine):
    """clients' events reach billing's handlers in any order (concurrent workers, a retry): a
    billing contact, name or status said earlier never replaces one said later, while an older
    event still sets what nothing later said. The receipts go to the contact chosen last."""
    from billing.facts.clients import learn_from_event, remember_client

    agency, client = str(uuid.uuid4()), str(uuid.uuid4())
    base = {"agency_id": agency, "client_id": client}

    def said(event_type, second, **data):
        return {
            **base,
            **data,
            "event_type": event_type,
            "occurred_at": f"2026-11-29T10:00:0{second}+00:00",
        }

    chosen = said(
        "client_updated",
        3,
        name="Acme",
        billing_email="paul@acme.test",
        billing_contact={"name": "Paul"},
    )
    first = said(
        "client_updated",
        2,
        name="Acme Old",
        billing_email="fiona@acme.test",
        billing_contact={"name": "Fiona"},
    )
    with Session(engine) as session, session.begin():
        learn_from_event(session, chosen)
        learn_from_event(session, first)
        learn_from_event(session, said("client_status_changed", 4, name="Acme", status="inactive"))
        learn_from_event(session, said("client_created", 1, name="Acme Inc", status="active"))
        learn_from_event(session, said("client_archived", 1, name="Acme Inc"))
    known = fact(engine, ClientFact, client)
    assert (known.billing_email, known.billing_contact_name) == ("paul@acme.test", "Paul")
    assert (known.name, known.status, known.archived) == ("Acme", "inactive", True)
    # What billing reads over RPC now (learn_client, refresh) is newer than any event so far.
    with Session(engine) as session, session.begin():
        remember_client(
            session,
            uuid.UUID(agency),
            uuid.UUID(client),
            name="Acme Ltd",
            billing={"billing_contact": {"name": "Rita"}, "billing_email": "rita@acme.test"},
        )
        learn_from_event(session, said("client_updated", 5, name="Acme Late", billing_email=None))
    known = fact(engine, ClientFact, client)
    assert (known.name, known.billing_email) == ("Acme Ltd", "rita@acme.test")


def test_a_client_whose_event_came_during_the_refusal_is_tried_again(engine):
    """The refusal saw no client; its `client_created` came before billing asked anyone: worth
    one more try without asking the clients service. Another agency's client never is."""
    from billing.facts.clients import learn_client, remember_client
    from kit.context import Context

    def not_asked(*_):
        raise AssertionError("the clients service was asked about a client billing knows")

    ours, theirs = uuid.uuid4(), uuid.uuid4()
    client = uuid.uuid4()
    with Session(engine) as session, session.begin():
        remember_client(session, ours, client, name="Wayne Enterprises", status="active")
    with Session(engine) as session:
        assert learn_client(session, Context.system(str(ours)), client, not_asked) is True
        assert learn_client(session, Context.system(str(theirs)), client, not_asked) is False
        assert learn_client(session, Context.system(str(ours)), "not-an-id", not_asked) is False
