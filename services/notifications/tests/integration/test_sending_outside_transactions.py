"""An event's e-mails are composed and sent after its transaction: identity and billing are
asked while notifications holds no transaction open (docs/contracts.md), and when they do not
answer the event is kept as failed and retried, its e-mails then sent once."""

import base64
import uuid

import eventlet
from nameko.rpc import rpc
from notification_helpers import wait_for
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from kit.tables import FailedEvent, ProcessedEvent
from notifications.models import PendingSend, SentEmail

AGENCY = str(uuid.uuid4())
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
PDF = b"%PDF-1.4 a check invoice"


def event(event_type, **fields):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "agency_id": AGENCY,
        "request_id": uuid.uuid4().hex,
        "occurred_at": "2026-11-29T10:00:00+00:00",
        **fields,
    }


class Watch:
    """What each call to another service saw: how many of notifications' connections had a
    transaction open (and idle: waiting on something) at that moment."""

    database_url = ""
    seen: list[tuple[str, int]] = []

    @classmethod
    def record(cls, method: str) -> None:
        # A transaction left open around this call would be idle in it while we wait here.
        eventlet.sleep(0.5)
        engine = create_engine(cls.database_url)
        try:
            with engine.connect() as conn:
                open_transactions = conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                        " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                        " AND now() - state_change > interval '0.3 seconds'"
                    )
                )
        finally:
            engine.dispose()
        cls.seen.append((method, open_transactions))


class IdentityStandIn:
    """Identity, as notifications asks it: the agency's brand, logo and users."""

    name = "identity"

    @rpc
    def get_branding(self, ctx):
        Watch.record("get_branding")
        return {"agency_name": "Blue Fox", "color": "#0066cc", "has_logo": True}

    @rpc
    def get_agency_logo(self, ctx):
        Watch.record("get_agency_logo")
        return {"content_type": "image/png", "data_base64": base64.b64encode(PNG).decode()}

    @rpc
    def users_by_ids(self, ctx, user_ids):
        Watch.record("users_by_ids")
        return [
            {"id": i, "name": "Mo", "email": "mo@agency.test", "status": "active"} for i in user_ids
        ]


class BillingStandIn:
    name = "billing"

    @rpc
    def invoice_pdf(self, ctx, invoice_id):
        Watch.record("invoice_pdf")
        return {"filename": "invoice-7.pdf", "content_base64": base64.b64encode(PDF).decode()}


def test_identity_and_billing_are_asked_with_no_transaction_open(
    container_factory, notifications, notifications_db_url, dispatch, smtp, db
):
    Watch.database_url, Watch.seen = notifications_db_url, []
    for stand_in in (IdentityStandIn, BillingStandIn):
        container_factory(stand_in, notifications).start()

    dispatch(
        "clients",
        "contact_invited",
        event(
            "contact_invited",
            contact_email="cy@client.test",
            contact_name="Cy",
            client_name="Globex",
            agency_name="Blue Fox",
            invitation_token="portal-token",
        ),
    )
    dispatch(
        "clients",
        "request_created",
        event("request_created", client_name="Globex", title="Logo", account_manager_ids=["u1"]),
    )
    dispatch(
        "billing",
        "invoice_issued",
        event(
            "invoice_issued",
            invoice_id=str(uuid.uuid4()),
            number=7,
            payment_method="check",
            billing_email="pat@globex.test",
            billing_contact="Pat",
            total={"amount": 4500, "currency": "USD"},
        ),
    )

    [invitation] = wait_for(lambda: smtp.to("cy@client.test"))
    [request] = wait_for(lambda: smtp.to("mo@agency.test"))
    [invoice] = wait_for(lambda: smtp.to("pat@globex.test"))
    assert any(part.get_content_type() == "image/png" for part in invitation.walk())
    [attachment] = [part for part in invoice.iter_attachments()]
    assert attachment.get_content() == PDF
    assert request["Subject"].startswith("New request from Globex")
    asked = {method for method, _ in Watch.seen}
    assert {"get_branding", "get_agency_logo", "users_by_ids", "invoice_pdf"} <= asked
    assert [seen for seen in Watch.seen if seen[1]] == [], "a transaction was open during a call"
    # Sent, each recorded, nothing left pending.
    with Session(db) as session:
        wait_for(lambda: session.scalar(select(PendingSend)) is None)
        assert len(session.scalars(select(SentEmail)).all()) == 3


def test_an_event_whose_recipients_identity_cannot_give_is_retried_and_sent_once(
    container_factory, notifications, notifications_db_url, dispatch, smtp, db
):
    Watch.database_url, Watch.seen = notifications_db_url, []
    payload = event(
        "request_created", client_name="Initech", title="Banner", account_manager_ids=["u2"]
    )
    dispatch("clients", "request_created", payload)  # identity is not running
    key = (uuid.UUID(payload["event_id"]), "notifications.on_request_created")

    def failure():
        with Session(db) as session:
            return session.get(FailedEvent, key)

    failed = wait_for(failure, seconds=30)
    assert failed.status == "retrying"
    with Session(db) as session:
        # The event is processed (claimed) and its e-mails are waiting to be sent.
        assert session.get(PendingSend, key) is not None
        assert session.get(ProcessedEvent, key) is not None

    container_factory(IdentityStandIn, notifications).start()
    [message] = wait_for(lambda: smtp.to("mo@agency.test"), seconds=60)
    assert "Initech" in message["Subject"]
    wait_for(lambda: failure() is None, seconds=30)
    with Session(db) as session:
        assert session.get(PendingSend, key) is None
        assert [row.template for row in session.scalars(select(SentEmail))] == ["request_created"]
    assert len(smtp.to("mo@agency.test")) == 1
