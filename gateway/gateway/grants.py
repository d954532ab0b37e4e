"""The gateway's copy of identity's rules on handing out permissions (identity is the authority
and checks them again): nobody changes their own role, nobody grants a role or builds a custom
role with a permission they do not hold themselves."""

from __future__ import annotations

from gateway import auth
from gateway.rpc import services
from kit.errors import PermissionDenied


def require_grantable(permissions) -> None:
    """PermissionDenied unless the signed-in user holds every permission in `permissions`."""
    held = set(auth.principal().get("permissions") or ())
    missing = sorted(set(permissions) - held)
    if missing:
        raise PermissionDenied(
            f"You cannot grant permissions you do not hold yourself: {', '.join(missing)}.",
            {"permissions": missing},
        )


def check_role_grant(role_id, user_id: str | None = None) -> None:
    """Giving the role `role_id` (to the user `user_id`, or to a new user): not one's own role
    change, and not a role holding more than the caller. Unknown roles are left to identity."""
    if role_id is None:
        return
    if user_id is not None and user_id == auth.principal().get("principal_id"):
        current = services.identity.get_user(user_id)["role"]["id"]
        if str(role_id) != current:
            raise PermissionDenied("You cannot change your own role.")
        return
    role = next((r for r in services.identity.list_roles() if r["id"] == str(role_id)), None)
    if role is not None:
        require_grantable(role["permissions"])
