"""Roles: the built-in four and their permissions, custom roles and their rules."""

from __future__ import annotations

import pytest

from identity import roles, users
from kit.errors import Conflict, PermissionDenied, ValidationError
from kit.permissions import DESCRIPTIONS as PERMISSIONS


def by_name(role_list):
    return {role["name"]: role for role in role_list}


def test_signup_seeds_the_four_built_in_roles_with_their_permissions(call, owner):
    seeded = by_name(call(roles.list_roles, owner))
    assert list(seeded) == ["Owner", "Admin", "Manager", "Member"]
    assert set(seeded["Owner"]["permissions"]) == set(PERMISSIONS)
    assert set(seeded["Admin"]["permissions"]) == set(PERMISSIONS)
    assert set(seeded["Manager"]["permissions"]) == set(PERMISSIONS) - {
        "manage_users",
        "manage_settings",
    }
    assert seeded["Member"]["permissions"] == ["view_clients", "view_reports"]
    assert seeded["Owner"]["users"] == 1


@pytest.mark.parametrize("name", ["Owner", "Admin", "Manager", "Member"])
def test_built_in_roles_cannot_be_changed_or_deleted(call, owner, name):
    role = by_name(call(roles.list_roles, owner))[name]
    with pytest.raises(PermissionDenied):
        call(roles.update_role, owner, role["id"], permissions=["view_clients"])
    with pytest.raises(PermissionDenied):
        call(roles.update_role, owner, role["id"], name="Renamed")
    with pytest.raises(PermissionDenied):
        call(roles.delete_role, owner, role["id"])
    assert by_name(call(roles.list_roles, owner))[name] == role


def test_custom_role_has_exactly_the_permissions_given(call, owner):
    role = call(roles.create_role, owner, "Billing clerk", ["view_billing", "manage_billing"])
    assert role["permissions"] == ["manage_billing", "view_billing"]
    assert not role["is_builtin"]
    updated = call(roles.update_role, owner, role["id"], permissions=["view_billing"])
    assert updated["permissions"] == ["view_billing"]


def test_unknown_permission_names_are_refused(call, owner):
    with pytest.raises(ValidationError) as raised:
        call(roles.create_role, owner, "Hacker", ["view_clients", "become_root"])
    assert "become_root" in raised.value.fields["permissions"]


def test_role_names_are_unique_in_an_agency_regardless_of_case(call, owner):
    call(roles.create_role, owner, "Designers", ["view_clients"])
    with pytest.raises(Conflict):
        call(roles.create_role, owner, "designers", ["view_clients"])
    with pytest.raises(Conflict):
        call(roles.create_role, owner, "admin", ["view_clients"])


def test_the_same_role_name_may_exist_in_two_agencies(call, owner, signup):
    other, _ = signup(email="other@beta.test", agency_name="Beta")
    call(roles.create_role, owner, "Designers", ["view_clients"])
    assert call(roles.create_role, other, "Designers", ["view_clients"])["name"] == "Designers"


def test_a_role_without_any_permission_is_refused(call, owner):
    with pytest.raises(ValidationError) as raised:
        call(roles.create_role, owner, "Nobody", [])
    assert raised.value.fields == {"permissions": "Tick at least one permission."}
    role = call(roles.create_role, owner, "Somebody", ["view_clients"])
    with pytest.raises(ValidationError):
        call(roles.update_role, owner, role["id"], permissions=[])


def test_deleting_a_role_in_use_is_a_conflict(call, owner, add_user):
    role = call(roles.create_role, owner, "Designers", ["view_clients"])
    _, user = add_user("dana@acme.test")
    call(users.update_user, owner, user["id"], {"role_id": role["id"]})
    with pytest.raises(Conflict):
        call(roles.delete_role, owner, role["id"])
    member = by_name(call(roles.list_roles, owner))["Member"]
    call(users.update_user, owner, user["id"], {"role_id": member["id"]})
    call(roles.delete_role, owner, role["id"])
    assert "Designers" not in by_name(call(roles.list_roles, owner))


def test_roles_need_manage_users(call, owner, add_user):
    manager, _ = add_user("manny@acme.test", "Manager")
    with pytest.raises(PermissionDenied):
        call(roles.list_roles, manager)
    with pytest.raises(PermissionDenied):
        call(roles.create_role, manager, "Mine", ["manage_users"])
