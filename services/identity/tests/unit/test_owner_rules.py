"""Nobody can lock the agency's owner out, and nobody can deactivate themselves."""

from __future__ import annotations

import pytest

from identity import roles, users
from kit.errors import PermissionDenied, ValidationError


def role_id(call, ctx, name):
    return next(r["id"] for r in call(roles.list_roles, ctx) if r["name"] == name)


def test_nobody_can_deactivate_the_owner(call, owner, add_user):
    admin, _ = add_user("ada@acme.test", "Admin")
    for ctx in (owner, admin):
        with pytest.raises(PermissionDenied):
            call(users.deactivate_user, ctx, owner.principal_id)
    assert call(users.get_user, owner, owner.principal_id)["status"] == "active"


def test_the_owners_role_stays_owner(call, owner, add_user):
    admin, _ = add_user("ada@acme.test", "Admin")
    for ctx in (owner, admin):
        with pytest.raises(PermissionDenied):
            admin_role = {"role_id": role_id(call, ctx, "Admin")}
            call(users.update_user, ctx, owner.principal_id, admin_role)
    assert call(users.get_user, owner, owner.principal_id)["role"]["name"] == "Owner"


def test_the_owner_role_cannot_be_given_to_anyone_else(call, owner, add_user):
    _, user = add_user("ada@acme.test", "Admin")
    with pytest.raises(ValidationError) as raised:
        call(users.update_user, owner, user["id"], {"role_id": role_id(call, owner, "Owner")})
    assert "role_id" in raised.value.fields


def test_an_admin_cannot_take_over_the_owners_login(call, owner, add_user):
    admin, _ = add_user("ada@acme.test", "Admin")
    with pytest.raises(PermissionDenied):
        call(users.update_user, admin, owner.principal_id, {"email": "mine@acme.test"})
    with pytest.raises(PermissionDenied):
        call(users.update_user, admin, owner.principal_id, {"password": "taken-over-now"})
    # Renaming the owner is harmless and allowed.
    assert call(users.update_user, admin, owner.principal_id, {"name": "O. Owner"})["name"]


def test_a_user_cannot_deactivate_themselves(call, owner, add_user):
    admin, user = add_user("ada@acme.test", "Admin")
    with pytest.raises(PermissionDenied):
        call(users.deactivate_user, admin, user["id"])


def test_a_member_may_rename_themselves_but_not_change_their_role(call, owner, add_user):
    member, user = add_user("mem@acme.test", "Member")
    assert call(users.update_user, member, user["id"], {"name": "New Name"})["name"] == "New Name"
    with pytest.raises(PermissionDenied):
        call(users.update_user, member, user["id"], {"role_id": role_id(call, owner, "Admin")})
