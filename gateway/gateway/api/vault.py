"""/api/v1 credential vault: a client's stored credentials (passwords only by an audited
reveal) and the audit of reveals."""

from __future__ import annotations

from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery, page_of
from gateway.api.vault_schemas import RevealListQuery, VaultEntryRequest
from gateway.auth import permission_required
from gateway.rpc import services
from kit import permissions


@api.get("/clients/<client_id>/vault")
@permission_required(permissions.VIEW_CLIENTS, permissions.VIEW_VAULT)
def list_vault(client_id: str):
    """The client's stored credentials, without passwords (view_vault, as to reveal one).
    ---
    get:
      tags: [vault]
      summary: List vault entries (no passwords; needs view_vault)
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of entries, schema: VaultEntryPage}
    """
    entries = services.clients.list_vault_entries(client_id)
    return page_of(entries, **query_args(PageQuery))


@api.post("/clients/<client_id>/vault")
@permission_required(permissions.EDIT_CLIENTS)
def create_vault_entry(client_id: str):
    """Store a credential (the password is encrypted at rest).
    ---
    post:
      tags: [vault]
      summary: Add a vault entry
      requestBody: VaultEntryRequest
      responses:
        201: {description: The entry (without its password), schema: VaultEntry}
    """
    return services.clients.create_vault_entry(client_id, **json_body(VaultEntryRequest)), 201


@api.post("/clients/<client_id>/vault/<entry_id>/reveal")
@permission_required(permissions.VIEW_VAULT)
def reveal_password(client_id: str, entry_id: str):
    """One entry's password; the reveal is recorded (who, when).
    ---
    post:
      tags: [vault]
      summary: Reveal a password (needs view_vault; audited)
      responses:
        200: {description: The password, schema: RevealedPassword}
    """
    secret = services.clients.reveal_vault_password(client_id, entry_id)
    return secret, 200, {"Cache-Control": "no-store"}


@api.get("/vault/reveals")
@permission_required(permissions.VIEW_VAULT)
def list_reveals():
    """Who revealed which password, newest first.
    ---
    get:
      tags: [vault]
      summary: The reveal audit
      parameters: [{in: query, schema: RevealListQuery}]
      responses:
        200: {description: One page of reveals, newest first, schema: VaultRevealPage}
        404: No such client (client_id)
    """
    return services.clients.list_vault_reveals(**query_args(RevealListQuery))
