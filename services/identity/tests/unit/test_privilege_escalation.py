"""Nobody raises their own permissions: every role-changing call of identity (the authority),
for every built-in role and a custom role holding only manage_users. A caller may grant only
what it holds itself, and nobody changes their own role."""

from __future__ import annotations

import pytest

from identity import roles, users
from kit.context import Context
from kit.errors import PermissionDenied
from kit.permissions import ALL, MANAGE_USERS

CALLERS = ["Owner", "Admin", "Manager", "Member", "User manager"]
# Callers allowed to hand out Admin (every permission): those holding every permission.
HOLD_EVERYTHING = {"Owner", "Admin"}


@pytest.fixture
def agency(call, owner, add_user):
    """The owner, a user of each other built-in role and of a manage_users-only custom role;
    answers {role name: (context, user)} and the role ids by name."""
    call(roles.create_role, owner, "User manager", [MANAGE_USERS])
    role_ids = {role["name"]: role["id"] for role in call(roles.list_roles, owner)}
    team = {"Owner": (owner, {"id": owner.principal_id})}
    for name in CALLERS[1:]:
        team[name] = add_user(f"{name.replace(' ', '-').lower()}@acme.test", name)
    return team, role_ids


def _grant_admin_to_new_user(call, ctx, role_ids, team):
    return call(
        users.create_user,
        ctx,
        "New Admin",
        "new@acme.test",
        role_ids["Admin"],
        "new-admin-password-9",
    )


def _grant_admin_to_a_member(call, ctx, role_ids, team):
    member_id = team["Member"][1]["id"]
    return call(users.update_user, ctx, member_id, {"role_id": role_ids["Admin"]})


def _create_a_role_with_everything(call, ctx, role_ids, team):
    return call(roles.create_role, ctx, "Everything", sorted(ALL))


def _widen_a_custom_role(call, ctx, role_ids, team):
    return call(roles.update_role, ctx, role_ids["User manager"], permissions=sorted(ALL))


ESCALATIONS = [
    _grant_admin_to_new_user,
    _grant_admin_to_a_member,
    _create_a_role_with_everything,
    _widen_a_custom_role,
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", ESCALATIONS, ids=lambda fn: fn.__name__.strip("_"))
def test_only_a_caller_holding_every_permission_can_hand_them_all_out(call, agency, caller, path):
    team, role_ids = agency
    ctx = team[caller][0]
    if caller in HOLD_EVERYTHING:
        path(call, ctx, role_ids, team)
    else:
        with pytest.raises(PermissionDenied):
            path(call, ctx, role_ids, team)


@pytest.mark.parametrize("caller", CALLERS)
def test_nobody_changes_their_own_role(call, agency, caller):
    team, role_ids = agency
    ctx, me = team[caller]
    for target in sorted(set(role_ids) - {caller}):
        with pytest.raises(PermissionDenied):
            call(users.update_user, ctx, me["id"], {"role_id": role_ids[target]})
    mine = call(users.get_user, team["Owner"][0], me["id"])["role"]["name"]
    assert mine == caller


def test_a_user_manager_cannot_take_over_an_admin_by_their_password_or_e_mail(call, agency):
    team, _ = agency
    manager_ctx = team["User manager"][0]
    admin_id = team["Admin"][1]["id"]
    for change in ({"password": "taken-over-password-1"}, {"email": "mine@acme.test"}):
        with pytest.raises(PermissionDenied):
            call(users.update_user, manager_ctx, admin_id, change)
    with pytest.raises(PermissionDenied):
        call(users.deactivate_user, manager_ctx, admin_id)


def test_a_user_manager_can_still_manage_users_holding_no_more_than_it(call, agency):
    team, role_ids = agency
    manager_ctx = team["User manager"][0]
    peer = call(
        users.create_user,
        manager_ctx,
        "Peer",
        "peer@acme.test",
        role_ids["User manager"],
        "peer-manager-password-9",
    )
    call(users.update_user, manager_ctx, peer["id"], {"name": "Peer Renamed"})
    assert call(users.deactivate_user, manager_ctx, peer["id"])["status"] == "inactive"


def test_the_system_context_is_not_limited_by_held_permissions():
    roles.require_grantable(Context.system(None), ALL)
