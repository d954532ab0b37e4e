"""Events become e-mails on a real SMTP server: once per event, and again after SMTP was down."""

import uuid

from nameko.rpc import rpc
from nameko.standalone.rpc import ServiceRpcProxy
from notification_helpers import PUBLIC_URL, text_of, wait_for
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kit.context import Context
from kit.tables import ErasedAgency, FailedEvent, ProcessedEvent
from notifications.models import SentEmail

AGENCY = str(uuid.uuid4())
OTHER_AGENCY = str(uuid.uuid4())


def event(event_type, agency_id=AGENCY, **fields):
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "agency_id": agency_id,
        "request_id": uuid.uuid4().hex,
        "occurred_at": "2026-11-22T10:00:00+00:00",
        **fields,
    }


def reset_event(**fields):
    defaults = {
        "principal_id": str(uuid.uuid4()),
        "kind": "user",
        "name": "Ann Admin",
        "email": "ann@agency.test",
        "agency_name": "Acme",
        "reset_token": "secret-reset-token",
        "expires_at": "2026-11-22T11:00:00+00:00",
    }
    return event("password_reset_requested", **{**defaults, **fields})


def sent_rows(engine):
    with Session(engine) as session:
        return session.scalars(select(SentEmail).order_by(SentEmail.sent_at)).all()


def settings_ctx(agency_id=AGENCY, permissions=("manage_settings",)):
    return Context(agency_id=agency_id, permissions=frozenset(permissions)).to_dict()


def test_password_reset_email_arrives_with_the_reset_link(notifications, dispatch, smtp, db):
    payload = reset_event()
    dispatch("identity", "password_reset_requested", payload)

    [message] = wait_for(lambda: smtp.to("ann@agency.test"))
    assert message["Subject"] == "Reset your password"
    assert message["From"] == "Agency Platform <no-reply@agency.local>"
    assert f"{PUBLIC_URL}/reset-password?token=secret-reset-token" in text_of(message)
    assert message.get_body(("html",)) is not None

    [row] = wait_for(lambda: sent_rows(db))
    assert (row.to, row.template, str(row.event_id)) == (
        "ann@agency.test",
        "password_reset",
        payload["event_id"],
    )
    # The record keeps who and what about, never the token.
    with db.connect() as conn:
        dump = conn.execute(text("SELECT row_to_json(s)::text FROM sent_emails s")).scalar()
    assert "secret-reset-token" not in dump


def test_the_same_event_delivered_twice_sends_one_email(notifications, dispatch, smtp, db):
    payload = reset_event(kind="contact", email="cy@client.test")
    dispatch("identity", "password_reset_requested", payload)
    dispatch("identity", "password_reset_requested", payload)

    wait_for(lambda: smtp.to("cy@client.test"))
    with Session(db) as session:
        wait_for(lambda: session.scalar(select(ProcessedEvent)) is not None)
    # The second delivery is handled as soon as the first: give it time to (not) send.
    dispatch("identity", "password_reset_requested", reset_event(email="marker@agency.test"))
    wait_for(lambda: smtp.to("marker@agency.test"))
    [message] = smtp.to("cy@client.test")
    assert f"{PUBLIC_URL}/portal/reset-password?token=" in text_of(message)
    assert len([r for r in sent_rows(db) if r.to == "cy@client.test"]) == 1
    # A duplicate that raced the first may be parked as failed for a moment; its retry finds
    # the event processed and clears it.
    with Session(db) as session:
        wait_for(lambda: session.scalar(select(FailedEvent)) is None)


def test_an_email_that_fails_while_smtp_is_down_is_sent_when_it_is_back(
    notifications, dispatch, smtp, db
):
    smtp.stop()
    payload = event(
        "user_created",
        user_id=str(uuid.uuid4()),
        name="Bo",
        email="bo@agency.test",
        agency_name="Acme",
        set_password_token="invite-token",
    )
    dispatch("identity", "user_created", payload)

    def failure():
        with Session(db) as session:
            return session.get(
                FailedEvent, (uuid.UUID(payload["event_id"]), "notifications.on_user_created")
            )

    failed = wait_for(failure)
    assert failed.status == "retrying" and failed.event_type == "user_created"
    assert "Connection" in failed.error or "refused" in failed.error.lower()
    with ServiceRpcProxy("notifications", notifications, timeout=5) as proxy:
        page = proxy.list_failed_events(settings_ctx())
    [listed] = page["items"]
    assert page["total"] == 1 and listed["event_type"] == "user_created"
    assert listed["attempts"] >= 1 and listed["summary"] == "Bo, bo@agency.test"
    assert listed["next_attempt_at"] and listed["service"] == "notifications"
    assert "payload" not in listed and "invite-token" not in str(listed)

    smtp.start()
    [message] = wait_for(lambda: smtp.to("bo@agency.test"), seconds=30)
    assert f"{PUBLIC_URL}/invitations/accept?token=invite-token" in text_of(message)
    wait_for(lambda: failure() is None)
    assert [r.template for r in sent_rows(db)] == ["user_invitation"]


def test_user_created_with_a_password_sends_the_link_that_confirms_the_address(
    notifications, dispatch, smtp
):
    payload = event("user_created", name="Di", email="di@agency.test", confirm_token="c-1")
    dispatch("identity", "user_created", {**payload, "has_password": True})
    [message] = wait_for(lambda: smtp.to("di@agency.test"))
    body = text_of(message)
    assert f"{PUBLIC_URL}/invitations/confirm?token=c-1" in body and "di@agency.test" in body


def test_contact_invitation_links_to_the_portal(notifications, dispatch, smtp):
    payload = event(
        "contact_invited",
        contact_id=str(uuid.uuid4()),
        client_id=str(uuid.uuid4()),
        contact_name="Cy Client",
        email="cy@client.test",
        client_name="Globex",
        agency_name="Acme",
        invitation_token="portal-token",
        message="Welcome aboard!",
    )
    dispatch("clients", "contact_invited", payload)
    [message] = wait_for(lambda: smtp.to("cy@client.test"))
    body = text_of(message)
    assert f"{PUBLIC_URL}/portal/invitations/accept?token=portal-token" in body
    assert "Welcome aboard!" in body
    assert message["Subject"] == "Acme invited you to the client portal"


class IdentityStandIn:
    """Identity is another service: this answers `users_by_ids` as it does, by agency."""

    name = "identity"
    users = {}

    @rpc
    def users_by_ids(self, ctx, user_ids):
        return [
            user
            for user in self.users.get(ctx["agency_id"], [])
            if user["id"] in user_ids and ctx["kind"] == "system"
        ]


def user(name, email, status="active"):
    return {"id": str(uuid.uuid4()), "name": name, "email": email, "status": status}


def test_request_created_emails_each_active_account_manager(
    container_factory, notifications, dispatch, smtp, db
):
    mo, ina, outsider = (
        user("Mo Manager", "mo@agency.test"),
        user("Ina Inactive", "ina@agency.test", status="inactive"),
        user("Out Sider", "out@other.test"),
    )
    IdentityStandIn.users = {AGENCY: [mo, ina], OTHER_AGENCY: [outsider]}
    container_factory(IdentityStandIn, notifications).start()

    payload = event(
        "request_created",
        client_id=str(uuid.uuid4()),
        client_name="Globex",
        title="New landing page",
        description="For the spring campaign.",
        account_manager_ids=[mo["id"], ina["id"], outsider["id"]],
    )
    dispatch("clients", "request_created", payload)

    [message] = wait_for(lambda: smtp.to("mo@agency.test"))
    assert message["Subject"] == "New request from Globex: New landing page"
    assert "For the spring campaign." in text_of(message)
    with Session(db) as session:
        wait_for(lambda: session.scalar(select(ProcessedEvent)) is not None)
    assert smtp.to("ina@agency.test") == [] and smtp.to("out@other.test") == []


def test_list_sent_shows_the_agency_own_emails_newest_first(notifications, dispatch, smtp):
    dispatch("identity", "password_reset_requested", reset_event(email="one@agency.test"))
    wait_for(lambda: smtp.to("one@agency.test"))
    dispatch("identity", "password_reset_requested", reset_event(email="two@agency.test"))
    wait_for(lambda: smtp.to("two@agency.test"))
    dispatch(
        "identity",
        "password_reset_requested",
        reset_event(email="else@other.test", agency_id=OTHER_AGENCY),
    )
    wait_for(lambda: smtp.to("else@other.test"))

    with ServiceRpcProxy("notifications", notifications, timeout=5) as proxy:
        sent = wait_for(
            lambda: len(proxy.list_sent(settings_ctx())) == 2 and proxy.list_sent(settings_ctx())
        )
        assert [s["to"] for s in sent] == ["two@agency.test", "one@agency.test"]
        assert set(sent[0]) == {"id", "event_id", "template", "to", "subject", "sent_at"}
        assert [s["to"] for s in proxy.list_sent(settings_ctx(), limit=1)] == ["two@agency.test"]
        assert proxy.health({}) == {"service": "notifications", "ok": True}
        try:
            proxy.list_sent(settings_ctx(permissions=()))
        except Exception as exc:  # a RemoteError carrying PermissionDenied
            assert "PermissionDenied" in type(exc).__name__ or "PermissionDenied" in str(exc)
        else:
            raise AssertionError("list_sent answered without manage_settings")


def test_password_changed_sends_the_security_notice(notifications, dispatch, smtp, db):
    payload = event(
        "password_changed",
        principal_id=str(uuid.uuid4()),
        kind="user",
        name="Ann Admin",
        email="ann@agency.test",
        agency_name="Acme",
        reason="set_by_admin",
    )
    dispatch("identity", "password_changed", payload)
    [message] = wait_for(lambda: smtp.to("ann@agency.test"))
    assert message["Subject"] == "Your password was changed"
    body = text_of(message)
    assert "changed at 10:00 UTC on 22 Nov 2026" in body
    assert "An administrator of your agency set it for you." in body
    assert f"{PUBLIC_URL}/forgot-password" in body
    assert message.get_body(("html",)) is not None
    [row] = wait_for(lambda: sent_rows(db))
    assert (row.template, row.agency_id and str(row.agency_id)) == ("password_changed", AGENCY)


def test_agency_signed_up_welcomes_the_owner(notifications, dispatch, smtp):
    payload = event(
        "agency_signed_up",
        agency_name="Acme",
        user_id=str(uuid.uuid4()),
        name="Olive Owner",
        email="olive@agency.test",
        plan="starter",
        trial_ends_at="2026-12-06T10:00:00+00:00",
    )
    dispatch("identity", "agency_signed_up", payload)
    [message] = wait_for(lambda: smtp.to("olive@agency.test"))
    assert message["Subject"] == "Welcome to Agency Platform, Acme"
    body = text_of(message)
    assert "Your free trial runs until 6 Dec 2026." in body
    assert f"{PUBLIC_URL}/login" in body
    html = message.get_body(("html",)).get_content()
    assert f'href="{PUBLIC_URL}/login"' in html and "6 Dec 2026" in html


def test_a_receipt_goes_out_unbranded_and_without_a_logo_while_identity_does_not_answer(
    notifications, dispatch, smtp
):
    payload = event(
        "invoice_paid",
        invoice_id=str(uuid.uuid4()),
        number=8,
        client_name="Globex",
        payment_method="card",
        total={"amount": 4500, "currency": "USD"},
        issued_on="2026-11-29",
        due_on="2026-12-13",
        paid_method="card",
        billing_contact="Pat Payer",
        billing_email="pat-unbranded@globex.test",
    )
    dispatch("billing", "invoice_paid", payload)  # no identity service is running
    [message] = wait_for(lambda: smtp.to("pat-unbranded@globex.test"))
    assert not [part for part in message.walk() if part.get_content_maintype() == "image"]
    assert "cid:" not in message.get_body(("html",)).get_content()
    assert "45.00 USD" in text_of(message)


def test_an_event_of_a_deleted_agency_arriving_late_sends_nothing(
    notifications, dispatch, smtp, db
):
    """After `agency_deleted`, an event of that agency still in flight is ignored (kit.erasure's
    tombstone): no e-mail about an agency that no longer exists."""
    gone = str(uuid.uuid4())
    dispatch("identity", "agency_deleted", event("agency_deleted", agency_id=gone))
    with Session(db) as session:
        wait_for(lambda: session.get(ErasedAgency, uuid.UUID(gone)) is not None)
    late = reset_event(email="late@agency.test", agency_id=gone)
    dispatch("identity", "password_reset_requested", late)
    dispatch("identity", "password_reset_requested", reset_event(email="marker2@agency.test"))
    wait_for(lambda: smtp.to("marker2@agency.test"))
    with Session(db) as session:
        wait_for(
            lambda: (
                session.scalar(
                    select(ProcessedEvent).where(
                        ProcessedEvent.event_id == uuid.UUID(late["event_id"])
                    )
                )
                is not None
            )
        )
    assert smtp.to("late@agency.test") == []
    assert [r for r in sent_rows(db) if r.to == "late@agency.test"] == []
