"""Managing users over RPC: permissions, tenant isolation, deactivation, refused changes."""

from __future__ import annotations

import pytest

from kit.errors import Conflict, NotFound, PermissionDenied, Unauthenticated, ValidationError

PASSWORD = "correct-horse-battery"


def role_id(identity, ctx, name):
    return next(r["id"] for r in identity.list_roles(ctx) if r["name"] == name)


def test_another_agencys_user_ids_are_not_found(identity, owner_ctx, signup, as_principal):
    member = identity.create_user(
        owner_ctx, "Mia Member", "mia@acme.test", role_id(identity, owner_ctx, "Member"), PASSWORD
    )
    other_ctx = as_principal(signup(email="boss@beta.test", agency_name="Beta")["principal"])
    for call in (
        lambda: identity.get_user(other_ctx, member["id"]),
        lambda: identity.update_user(other_ctx, member["id"], name="Hijacked"),
        lambda: identity.deactivate_user(other_ctx, member["id"]),
        lambda: identity.reactivate_user(other_ctx, member["id"]),
        lambda: identity.update_user(other_ctx, owner_ctx["principal_id"], name="Hijacked"),
    ):
        with pytest.raises(NotFound):
            call()
    assert [u["email"] for u in identity.list_users(other_ctx)] == ["boss@beta.test"]
    assert identity.users_by_ids(other_ctx, [member["id"]]) == []
    assert identity.get_user(owner_ctx, member["id"])["name"] == "Mia Member"
    assert identity.get_user(owner_ctx, member["id"])["status"] == "active"


def test_another_agencys_role_cannot_be_assigned_or_changed(
    identity, owner_ctx, signup, as_principal
):
    other_ctx = as_principal(signup(email="boss@beta.test", agency_name="Beta")["principal"])
    foreign = identity.create_role(other_ctx, "Beta role", ["view_clients"])
    with pytest.raises(ValidationError):
        identity.create_user(owner_ctx, "X", "x@acme.test", foreign["id"], PASSWORD)
    with pytest.raises(NotFound):
        identity.update_role(owner_ctx, foreign["id"], name="Mine now")
    with pytest.raises(NotFound):
        identity.delete_role(owner_ctx, foreign["id"])


def test_a_member_cannot_manage_users(identity, owner_ctx, add_user):
    member_ctx, _ = add_user("mia@acme.test", "Member")
    admin_role = role_id(identity, owner_ctx, "Admin")
    with pytest.raises(PermissionDenied):
        identity.create_user(member_ctx, "Eve", "eve@acme.test", admin_role, PASSWORD)
    with pytest.raises(PermissionDenied):
        identity.update_user(member_ctx, member_ctx["principal_id"], role_id=admin_role)
    with pytest.raises(PermissionDenied):
        identity.deactivate_user(member_ctx, owner_ctx["principal_id"])
    with pytest.raises(PermissionDenied):
        identity.create_role(member_ctx, "Escalate", ["manage_users"])
    assert len(identity.list_users(owner_ctx)) == 2


def test_a_deactivated_user_cannot_log_in_and_their_session_and_token_stop(
    identity, owner_ctx, add_user, anonymous
):
    member_ctx, login = add_user("mia@acme.test", "Member")
    token = identity.create_api_token(member_ctx, "script")["token"]

    deactivated = identity.deactivate_user(owner_ctx, member_ctx["principal_id"])
    assert deactivated["status"] == "inactive"
    with pytest.raises(Unauthenticated) as raised:
        identity.login(anonymous, "mia@acme.test", PASSWORD, "192.0.2.2")
    assert raised.value.message == "This account is inactive; ask your agency's administrator."
    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, login["session_token"])
    with pytest.raises(Unauthenticated):
        identity.authenticate_api_token(anonymous, token)
    assert [u["email"] for u in identity.list_users(owner_ctx, status="inactive")] == [
        "mia@acme.test"
    ]

    identity.reactivate_user(owner_ctx, member_ctx["principal_id"])
    assert identity.login(anonymous, "mia@acme.test", PASSWORD, "192.0.2.2")["session_token"]
    # The deactivation revoked the token: a reactivation does not bring it back.
    with pytest.raises(Unauthenticated):
        identity.authenticate_api_token(anonymous, token)


def test_an_address_already_in_the_team_is_a_conflict_and_changes_nothing(identity, owner_ctx):
    member = role_id(identity, owner_ctx, "Member")
    identity.create_user(owner_ctx, "Tess", "tess@acme.test", member, PASSWORD)
    before = identity.list_users(owner_ctx)
    with pytest.raises(Conflict) as raised:
        identity.create_user(owner_ctx, "Dup", "TESS@acme.test", member, PASSWORD)
    assert "email" in raised.value.fields
    assert identity.list_users(owner_ctx) == before

    mia = identity.create_user(owner_ctx, "Mia", "mia@acme.test", member, PASSWORD)
    with pytest.raises(Conflict):
        identity.update_user(owner_ctx, mia["id"], email="owner@acme.test", name="Changed")
    assert identity.get_user(owner_ctx, mia["id"]) == mia


def test_weak_password_is_a_validation_error_and_changes_nothing(
    identity, owner_ctx, anonymous, confirm_token
):
    member = role_id(identity, owner_ctx, "Member")
    before = identity.list_users(owner_ctx)
    with pytest.raises(ValidationError) as raised:
        identity.create_user(owner_ctx, "Wes", "wes@acme.test", member, "password123")
    assert set(raised.value.fields) == {"password"}
    assert identity.list_users(owner_ctx) == before

    wes = identity.create_user(owner_ctx, "Wes", "wes@acme.test", member, PASSWORD)
    with pytest.raises(ValidationError):
        identity.update_user(owner_ctx, wes["id"], password="wes@acme.test", name="Wesley")
    assert identity.get_user(owner_ctx, wes["id"])["name"] == "Wes"
    identity.accept_user_invitation(anonymous, confirm_token("wes@acme.test"))
    assert identity.login(anonymous, "wes@acme.test", PASSWORD, "192.0.2.3")


def test_unknown_fields_and_bad_inputs_are_validation_errors(identity, owner_ctx):
    with pytest.raises(ValidationError) as raised:
        identity.update_user(owner_ctx, owner_ctx["principal_id"], is_owner=False)
    assert "is_owner" in raised.value.fields
    with pytest.raises(ValidationError) as raised:
        identity.create_user(owner_ctx, "", "nope", "not-a-uuid", PASSWORD)
    assert set(raised.value.fields) == {"name", "email", "role_id"}
    with pytest.raises(ValidationError):
        identity.list_users(owner_ctx, status="deleted")
    with pytest.raises(NotFound):
        identity.get_user(owner_ctx, "not-a-uuid")


def test_an_admin_sets_a_password_and_the_users_sessions_end(
    identity, owner_ctx, add_user, anonymous
):
    member_ctx, login = add_user("mia@acme.test", "Member")
    identity.update_user(owner_ctx, member_ctx["principal_id"], password="a-brand-new-secret")
    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, login["session_token"])
    assert identity.login(anonymous, "mia@acme.test", "a-brand-new-secret", "192.0.2.2")


def test_update_user_changes_name_email_and_role(
    identity, owner_ctx, add_user, anonymous, confirm_token
):
    member_ctx, _ = add_user("mia@acme.test", "Member")
    manager = role_id(identity, owner_ctx, "Manager")
    changes = {"name": "Mia M", "email": "mia.m@acme.test", "role_id": manager}
    updated = identity.update_user(owner_ctx, member_ctx["principal_id"], **changes)
    assert (updated["name"], updated["email"], updated["role"]["name"]) == (
        "Mia M",
        "mia.m@acme.test",
        "Manager",
    )
    # The new address is the login once its owner confirms it.
    assert updated["invitation_pending"]
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "mia.m@acme.test", PASSWORD, "192.0.2.2")
    identity.accept_user_invitation(anonymous, confirm_token("mia.m@acme.test"))
    principal = identity.login(anonymous, "mia.m@acme.test", PASSWORD, "192.0.2.2")["principal"]
    assert "manage_billing" in principal["permissions"]


def test_an_invited_user_sets_a_password_once(identity, owner_ctx, events, anonymous):
    member = role_id(identity, owner_ctx, "Member")
    user = identity.create_user(owner_ctx, "Ivy", "ivy@acme.test", member, send_invitation=True)
    assert user["invitation_pending"]
    with pytest.raises(Unauthenticated):
        identity.login(anonymous, "ivy@acme.test", "", "192.0.2.4")

    created = events.wait_for("user_created")
    assert created["email"] == "ivy@acme.test"
    assert created["agency_name"] == "Acme"
    token = created["set_password_token"]

    accepted = identity.accept_user_invitation(anonymous, token, "ivy-chooses-this")
    assert accepted["principal"]["email"] == "ivy@acme.test"
    assert identity.authenticate_session(anonymous, accepted["session_token"])
    with pytest.raises(ValidationError):
        identity.accept_user_invitation(anonymous, token, "ivy-tries-again")
    assert not identity.get_user(owner_ctx, user["id"])["invitation_pending"]
