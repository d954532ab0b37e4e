"""The permission names a role can hold: one list, shared by the gateway and every service.

Check a permission with these constants (`ctx.require(permissions.MANAGE_USERS)`,
`@require(permissions.VIEW_CLIENTS)`), never with a bare string.
"""

from __future__ import annotations

VIEW_CLIENTS = "view_clients"
CREATE_CLIENTS = "create_clients"
EDIT_CLIENTS = "edit_clients"
DELETE_CLIENTS = "delete_clients"
MANAGE_CLIENT_ORGANIZATIONS = "manage_client_organizations"
VIEW_VAULT = "view_vault"
MANAGE_SERVICES = "manage_services"
VIEW_BILLING = "view_billing"
MANAGE_BILLING = "manage_billing"
VIEW_REPORTS = "view_reports"
MANAGE_USERS = "manage_users"
MANAGE_SETTINGS = "manage_settings"

# Every permission with a description a person can read, in the order the UI lists them.
DESCRIPTIONS: dict[str, str] = {
    VIEW_CLIENTS: "See clients and their contacts",
    CREATE_CLIENTS: "Add clients and contacts",
    EDIT_CLIENTS: "Change clients and contacts",
    DELETE_CLIENTS: "Archive and delete clients",
    MANAGE_CLIENT_ORGANIZATIONS: "Manage client portal access and requests",
    VIEW_VAULT: "Reveal credentials kept in the client vault",
    MANAGE_SERVICES: "Manage the service catalog and assignments",
    VIEW_BILLING: "See invoices, payments and balances",
    MANAGE_BILLING: "Run billing, mark invoices paid, change balances",
    VIEW_REPORTS: "See the dashboard and reports",
    MANAGE_USERS: "Add, change and deactivate users and roles",
    MANAGE_SETTINGS: "Change the agency's settings and subscription",
}

ALL = frozenset(DESCRIPTIONS)


def refusal(missing: list[str], any_of: bool = False) -> str:
    """What a person reads when their role lacks `missing` (all of them, or `any_of` one; the
    codes stay in the error's fields, for programs): what the permissions allow, in words."""
    joiner = " or " if any_of else "; "
    allowed = joiner.join(DESCRIPTIONS.get(p, p).lower() for p in missing)
    return f"Your role does not allow this ({allowed}). Ask an owner of your agency to change it."
