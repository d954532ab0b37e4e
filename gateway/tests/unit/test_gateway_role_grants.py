"""The gateway's own check of the role rules (identity checks them again): over every
role-changing path of the API and the pages, for every built-in role and a custom role holding
only manage_users, nobody changes their own role and nobody grants a permission they lack."""

from __future__ import annotations

import pytest

from kit.permissions import ALL, MANAGE_SETTINGS, MANAGE_USERS, VIEW_CLIENTS, VIEW_REPORTS

AGENCY = "00000000-0000-0000-0000-00000000a9e1"
ROLES = {
    "Owner": sorted(ALL),
    "Admin": sorted(ALL),
    "Manager": sorted(ALL - {MANAGE_USERS, MANAGE_SETTINGS}),
    "Member": [VIEW_CLIENTS, VIEW_REPORTS],
    "User manager": [MANAGE_USERS],
}
ROLE_IDS = {name: f"00000000-0000-0000-0000-0000000000f{i}" for i, name in enumerate(ROLES)}
USER_IDS = {name: f"00000000-0000-0000-0000-0000000000a{i}" for i, name in enumerate(ROLES)}
OTHER_USER = "00000000-0000-0000-0000-0000000000b9"  # a Member the callers act on
CALLERS = list(ROLES)
HOLD_EVERYTHING = {"Owner", "Admin"}


def _user(user_id: str, role: str) -> dict:
    return {
        "id": user_id,
        "name": f"{role} Person",
        "email": f"{role.replace(' ', '').lower()}@example.com",
        "role": {"id": ROLE_IDS[role], "name": role},
        "status": "active",
        "is_owner": role == "Owner",
    }


def _principal(role: str) -> dict:
    return {
        "principal_id": USER_IDS[role],
        "kind": "user",
        "agency_id": AGENCY,
        "name": f"{role} Person",
        "role": {"id": ROLE_IDS[role], "name": role},
        "permissions": ROLES[role],
        "client_id": None,
        "contact_id": None,
    }


class Identity:
    """Identity's answers for these pages; records the calls that would change something."""

    def __init__(self, rpc):
        self.changes: list[str] = []
        users = {USER_IDS[name]: _user(USER_IDS[name], name) for name in ROLES}
        users[OTHER_USER] = _user(OTHER_USER, "Member")
        roles = [
            {"id": ROLE_IDS[n], "name": n, "permissions": p, "is_builtin": n != "User manager"}
            for n, p in ROLES.items()
        ]
        rpc.answers.update(
            {
                ("identity", "authenticate_api_token"): lambda token: _principal(token),
                ("identity", "list_roles"): lambda: roles,
                ("identity", "get_user"): lambda user_id: users[user_id],
                ("identity", "list_permissions"): lambda: [
                    {"name": p, "description": p} for p in sorted(ALL)
                ],
            }
        )
        for method in ("create_user", "update_user", "create_role", "update_role"):
            rpc.answers[("identity", method)] = self._recorder(method)

    def _recorder(self, method):
        def record(*args, **kwargs):
            self.changes.append(method)
            return {"id": ROLE_IDS["User manager"], "name": "Someone", "permissions": []}

        return record


@pytest.fixture
def client_and_identity(app):
    # The CSRF token is proven elsewhere (test_gateway_auth); here the role rules alone.
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client(), Identity(app.extensions["rpc"])


NEW_USER = {"name": "New Person", "email": "new@example.com", "password": "long-password-19"}


def _api(method, path, body):
    return lambda client, caller: getattr(client, method)(
        f"/api/v1{path(caller)}", json=body, headers={"Authorization": f"Bearer {caller}"}
    )


def _page(path, form):
    return lambda client, caller: client.post(
        path(caller), data=form, headers={"Authorization": f"Bearer {caller}"}
    )


def _own(caller: str) -> str:
    return USER_IDS[caller]


GRANTS_OF_EVERYTHING = {
    "api: add a user as Admin": _api(
        "post", lambda c: "/users", {**NEW_USER, "role_id": ROLE_IDS["Admin"]}
    ),
    "api: make a member Admin": _api(
        "patch", lambda c: f"/users/{OTHER_USER}", {"role_id": ROLE_IDS["Admin"]}
    ),
    "api: a role with every permission": _api(
        "post", lambda c: "/roles", {"name": "Everything", "permissions": sorted(ALL)}
    ),
    "api: widen a custom role": _api(
        "patch", lambda c: f"/roles/{ROLE_IDS['User manager']}", {"permissions": sorted(ALL)}
    ),
    "page: add a user as Admin": _page(
        lambda c: "/users/new", {**NEW_USER, "role_id": ROLE_IDS["Admin"]}
    ),
    "page: make a member Admin": _page(
        lambda c: f"/users/{OTHER_USER}/edit",
        {"name": "Member Person", "email": "member@example.com", "role_id": ROLE_IDS["Admin"]},
    ),
    "page: a role with every permission": _page(
        lambda c: "/users/roles/new", {"name": "Everything", "permissions": sorted(ALL)}
    ),
    "page: widen a custom role": _page(
        lambda c: f"/users/roles/{ROLE_IDS['User manager']}/edit",
        {"name": "User manager", "permissions": sorted(ALL)},
    ),
}

OWN_ROLE_CHANGES = {
    "api: change one's own role": lambda client, caller: client.patch(
        f"/api/v1/users/{_own(caller)}",
        json={"role_id": ROLE_IDS["Manager" if caller != "Manager" else "Member"]},
        headers={"Authorization": f"Bearer {caller}"},
    ),
    "page: change one's own role": lambda client, caller: client.post(
        f"/users/{_own(caller)}/edit",
        data={
            "name": f"{caller} Person",
            "email": f"{caller.replace(' ', '').lower()}@example.com",
            "role_id": ROLE_IDS["Manager" if caller != "Manager" else "Member"],
        },
        headers={"Authorization": f"Bearer {caller}"},
    ),
}


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", list(GRANTS_OF_EVERYTHING))
def test_only_a_caller_holding_every_permission_reaches_identity_to_grant_them(
    client_and_identity, caller, path
):
    client, identity = client_and_identity
    response = GRANTS_OF_EVERYTHING[path](client, caller)
    if caller in HOLD_EVERYTHING:
        assert response.status_code in (200, 201, 302), response.get_data(as_text=True)
        assert len(identity.changes) == 1
    else:
        assert response.status_code == 403, response.get_data(as_text=True)
        assert identity.changes == []


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("path", list(OWN_ROLE_CHANGES))
def test_nobody_changes_their_own_role_through_the_gateway(client_and_identity, caller, path):
    client, identity = client_and_identity
    response = OWN_ROLE_CHANGES[path](client, caller)
    assert response.status_code == 403, response.get_data(as_text=True)
    assert identity.changes == []
