"""Events reach the outbox in the change's transaction and are published; portal logins."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, select

from kit.errors import Conflict, PermissionDenied, Unauthenticated, ValidationError
from kit.tables import OutboxEvent

PASSWORD = "correct-horse-battery"


def test_signup_event_is_published_on_the_identity_exchange(identity, events, signup):
    result = signup()
    payload = events.wait_for("agency_signed_up")
    assert payload["agency_id"] == result["agency"]["id"]
    assert payload["agency_name"] == "Acme"
    assert payload["email"] == "owner@acme.test"
    assert payload["name"] == "Olive Owner"
    assert uuid.UUID(payload["event_id"])
    assert "password" not in str(payload)


def test_user_events_are_published_and_marked_in_the_outbox(identity, events, owner_ctx, db_url):
    member = next(r["id"] for r in identity.list_roles(owner_ctx) if r["name"] == "Member")
    user = identity.create_user(owner_ctx, "Mia", "mia@acme.test", member, PASSWORD)
    identity.update_user(owner_ctx, user["id"], name="Mia M")
    identity.deactivate_user(owner_ctx, user["id"])
    identity.reactivate_user(owner_ctx, user["id"])

    created = events.wait_for("user_created")
    assert created["set_password_token"] is None and created["user_id"] == user["id"]
    assert events.wait_for("user_updated")["changes"] == ["name"]
    assert events.wait_for("user_deactivated")["email"] == "mia@acme.test"
    assert events.wait_for("user_reactivated")["agency_name"] == "Acme"

    engine = create_engine(db_url)
    deadline = time.monotonic() + 5
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(OutboxEvent.event_type, OutboxEvent.published_at)).all()
            if all(published for _, published in rows) or time.monotonic() > deadline:
                break
            time.sleep(0.1)
    engine.dispose()
    assert sorted(t for t, _ in rows) == sorted(
        [
            "agency_signed_up",
            "user_created",
            "user_updated",
            "user_deactivated",
            "user_reactivated",
        ]
    )
    assert all(published for _, published in rows)


def test_a_refused_change_records_no_event(identity, owner_ctx, db_url):
    member = next(r["id"] for r in identity.list_roles(owner_ctx) if r["name"] == "Member")
    with pytest.raises(ValidationError):
        identity.create_user(owner_ctx, "Wes", "wes@acme.test", member, "password123")
    engine = create_engine(db_url)
    with engine.connect() as conn:
        types = conn.scalars(select(OutboxEvent.event_type)).all()
    engine.dispose()
    assert types == ["agency_signed_up"]


@pytest.fixture
def portal_login(identity, owner_ctx):
    system = {"agency_id": owner_ctx["agency_id"], "kind": "system", "request_id": "r"}
    contact_id, client_id = str(uuid.uuid4()), str(uuid.uuid4())
    principal = identity.create_portal_login(
        system, contact_id, client_id, "carla@client.test", "Carla Contact", PASSWORD
    )
    return system, principal


def test_a_portal_contact_logs_in_as_a_contact_of_their_client(identity, portal_login, anonymous):
    _, created = portal_login
    assert created["kind"] == "contact" and created["permissions"] == []
    result = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    principal = identity.authenticate_session(anonymous, result["session_token"])
    assert principal == created
    assert principal["client_id"] and principal["contact_id"] and principal["role"] is None
    # A contact's e-mail is not a team login.
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5")


def test_disabling_a_portal_login_ends_its_sessions(identity, portal_login, anonymous):
    system, principal = portal_login
    token = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    identity.disable_portal_login(system, principal["contact_id"])
    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, token["session_token"])
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")


def test_portal_logins_need_a_system_context_and_unique_emails(identity, portal_login, owner_ctx):
    system, _ = portal_login
    with pytest.raises(PermissionDenied):
        identity.create_portal_login(
            owner_ctx, str(uuid.uuid4()), str(uuid.uuid4()), "x@client.test", "X", PASSWORD
        )
    with pytest.raises(Conflict):
        identity.create_portal_login(
            system, str(uuid.uuid4()), str(uuid.uuid4()), "CARLA@client.test", "Other", PASSWORD
        )


def test_a_portal_contact_can_reset_their_password(identity, portal_login, events, anonymous):
    identity.request_password_reset(anonymous, "carla@client.test", kind="contact")
    requested = events.wait_for("password_reset_requested")
    assert requested["kind"] == "contact" and requested["name"] == "Carla Contact"
    identity.reset_password(anonymous, requested["reset_token"], "carla-new-secret")
    assert identity.login(
        anonymous, "carla@client.test", "carla-new-secret", "192.0.2.5", kind="contact"
    )
