"""The permissions a role can hold and the four built-in roles every agency starts with."""

from __future__ import annotations

from kit.errors import ValidationError
from kit.permissions import (
    ALL,
    DESCRIPTIONS,
    MANAGE_SETTINGS,
    MANAGE_USERS,
    VIEW_CLIENTS,
    VIEW_REPORTS,
)

OWNER = "Owner"

# Built-in roles in the order the UI lists them; they cannot be changed or deleted.
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    OWNER: ALL,
    "Admin": ALL,
    "Manager": ALL - {MANAGE_USERS, MANAGE_SETTINGS},
    "Member": frozenset({VIEW_CLIENTS, VIEW_REPORTS}),
}


def clean_permissions(permissions) -> list[str]:
    """The permission names given, de-duplicated and sorted; unknown names are refused."""
    if isinstance(permissions, str) or not isinstance(permissions, list | tuple | set | frozenset):
        raise ValidationError(
            "Permissions must be a list of permission names.",
            {"permissions": "Give a list of permission names."},
        )
    unknown = sorted({str(p) for p in permissions} - ALL)
    if unknown:
        raise ValidationError(
            f"Unknown permission: {', '.join(unknown)}.",
            {"permissions": f"Unknown permission: {', '.join(unknown)}."},
        )
    if not permissions:
        # a role that allows nothing signs its users in to an empty app
        raise ValidationError(
            "A role needs at least one permission.",
            {"permissions": "Tick at least one permission."},
        )
    return sorted(set(permissions))


def list_permissions() -> list[dict]:
    """Every permission with a description a person can read."""
    return [{"name": name, "description": text} for name, text in DESCRIPTIONS.items()]
