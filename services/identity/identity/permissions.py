"""The permissions a role can hold and the four built-in roles every agency starts with."""

from __future__ import annotations

from kit.errors import ValidationError

PERMISSIONS: dict[str, str] = {
    "view_clients": "See clients and their contacts",
    "create_clients": "Add clients and contacts",
    "edit_clients": "Change clients and contacts",
    "delete_clients": "Archive and delete clients",
    "manage_client_organizations": "Manage client portal access and requests",
    "view_vault": "Reveal credentials kept in the client vault",
    "manage_services": "Manage the service catalog and assignments",
    "view_billing": "See invoices, payments and balances",
    "manage_billing": "Run billing, mark invoices paid, change balances",
    "view_reports": "See the dashboard and reports",
    "manage_users": "Add, change and deactivate users and roles",
    "manage_settings": "Change the agency's settings and subscription",
}

OWNER = "Owner"
ALL = frozenset(PERMISSIONS)

# Built-in roles in the order the UI lists them; they cannot be changed or deleted.
BUILTIN_ROLES: dict[str, frozenset[str]] = {
    OWNER: ALL,
    "Admin": ALL,
    "Manager": ALL - {"manage_users", "manage_settings"},
    "Member": frozenset({"view_clients", "view_reports"}),
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
    return sorted(set(permissions))


def list_permissions() -> list[dict]:
    """Every permission with a description a person can read."""
    return [{"name": name, "description": text} for name, text in PERMISSIONS.items()]
