"""Events reach the outbox in the change's transaction and are published; portal logins."""

from __future__ import annotations

import time
import uuid

import pytest
from sqlalchemy import create_engine, select

from kit.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationError
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
    created = identity.create_portal_login(
        system, contact_id, client_id, "carla@client.test", "Carla Contact", PASSWORD
    )
    return system, created["principal"]


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


def test_a_new_portal_login_comes_signed_in(identity, anonymous):
    system = {"agency_id": str(uuid.uuid4()), "kind": "system", "request_id": "r"}
    created = identity.create_portal_login(
        system, str(uuid.uuid4()), str(uuid.uuid4()), "fay@client.test", "Fay", PASSWORD
    )
    assert (
        identity.authenticate_session(anonymous, created["session_token"]) == (created["principal"])
    )


def test_moving_a_contact_to_another_client_moves_its_login_and_ends_its_sessions(
    identity, portal_login, anonymous
):
    system, carla = portal_login
    token = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    new_client = str(uuid.uuid4())
    moved = identity.update_portal_login(system, carla["contact_id"], client_id=new_client)
    assert moved["client_id"] == new_client
    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, token["session_token"])
    again = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    assert (
        identity.authenticate_session(anonymous, again["session_token"])["client_id"] == new_client
    )


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


def test_a_portal_logins_email_and_name_follow_the_contact(identity, portal_login, anonymous):
    system, principal = portal_login
    updated = identity.update_portal_login(
        system, principal["contact_id"], email="carla@new.test", name="Carla C"
    )
    assert (updated["email"], updated["name"]) == ("carla@new.test", "Carla C")
    assert identity.login(anonymous, "carla@new.test", PASSWORD, "192.0.2.5", kind="contact")
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")


def test_a_team_member_who_may_edit_clients_updates_a_portal_login_others_may_not(
    identity, portal_login, owner_ctx, add_user, anonymous
):
    _, principal = portal_login
    contact_id = principal["contact_id"]
    assert identity.update_portal_login(owner_ctx, contact_id, name="Carla Owner-Set")["name"]
    member, _ = add_user("mia@acme.test")  # Member: view_clients only
    with pytest.raises(PermissionDenied):
        identity.update_portal_login(member, contact_id, name="Nope")
    carla = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    with pytest.raises(PermissionDenied):
        identity.update_portal_login(
            as_ctx(carla["principal"]), contact_id, email="carla@evil.test"
        )


def test_another_agencys_contact_is_not_found_and_taken_emails_conflict(
    identity, portal_login, signup, as_principal
):
    system, principal = portal_login
    other = as_principal(signup(email="owner@beta.test", agency_name="Beta")["principal"])
    other_system = {"agency_id": other["agency_id"], "kind": "system", "request_id": "r"}
    with pytest.raises(NotFound):
        identity.update_portal_login(other_system, principal["contact_id"], name="Stolen")
    with pytest.raises(NotFound):
        identity.update_portal_login(other, principal["contact_id"], name="Stolen")
    with pytest.raises(NotFound):
        identity.update_portal_login(system, "not-an-id", name="X")
    identity.create_portal_login(
        system, str(uuid.uuid4()), str(uuid.uuid4()), "dan@client.test", "Dan", PASSWORD
    )
    with pytest.raises(Conflict) as taken:
        identity.update_portal_login(system, principal["contact_id"], email="DAN@client.test")
    assert "email" in taken.value.fields
    with pytest.raises(ValidationError):
        identity.update_portal_login(system, principal["contact_id"], email="not an address")


def test_a_portal_email_is_checked_for_another_login_without_changing_anything(
    identity, portal_login, owner_ctx
):
    system, carla = portal_login
    assert identity.check_portal_email(system, carla["contact_id"], "CARLA@client.test") is None
    with pytest.raises(Conflict) as taken:
        identity.check_portal_email(owner_ctx, str(uuid.uuid4()), "carla@client.test")
    assert "email" in taken.value.fields
    assert identity.check_portal_email(system, str(uuid.uuid4()), "free@client.test") is None
    with pytest.raises(ValidationError):
        identity.check_portal_email(system, carla["contact_id"], "not an address")


def test_portal_contacts_cannot_read_the_agency(identity, portal_login, anonymous):
    carla = identity.login(anonymous, "carla@client.test", PASSWORD, "192.0.2.5", kind="contact")
    with pytest.raises(PermissionDenied):
        identity.get_agency(as_ctx(carla["principal"]))


def as_ctx(principal: dict) -> dict:
    return {**principal, "request_id": "r"}
