"""/api/v1 contacts: across clients and per client, create (optionally with a new client and a
portal invitation), read, edit (move to another client), archive and restore, avatar,
invitations."""

from __future__ import annotations

from flask import request

from gateway.api.base import api, json_body, query_args
from gateway.api.clients import picture_from_request
from gateway.api.contact_schemas import (
    ClientContactCreateRequest,
    ContactCreateRequest,
    ContactListQuery,
    ContactUpdateRequest,
    InvitationListQuery,
    InvitationRequest,
)
from gateway.api.paging import SeekPageQuery
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import picture_response
from kit import permissions


@api.get("/contacts")
@permission_required(permissions.VIEW_CLIENTS)
def list_contacts():
    """Contacts of every client, searched, filtered, sorted and paged.
    ---
    get:
      tags: [contacts]
      summary: List contacts
      parameters: [{in: query, schema: ContactListQuery}]
      responses:
        200: {description: One page of contacts, schema: ContactPage}
        404: No such client (client_id)
    """
    return services.clients.list_contacts(**query_args(ContactListQuery))


@api.post("/contacts")
@permission_required(permissions.CREATE_CLIENTS)
def create_contact():
    """Add a contact to a client (or to a new client), optionally inviting them to the portal.
    ---
    post:
      tags: [contacts]
      summary: Add a contact
      requestBody: ContactCreateRequest
      responses:
        201: {description: The new contact (with its invitation when invite=true), schema: Contact}
        402: The plan's client limit is reached (new_client)
        404: No such client (client_id), or it is archived
        409: The e-mail address is taken, or a client named new_client exists
        429: Too many invitations sent to this contact; the message says when to try again
    """
    return services.clients.create_contact(**json_body(ContactCreateRequest)), 201


@api.get("/clients/<client_id>/contacts")
@permission_required(permissions.VIEW_CLIENTS)
def list_client_contacts(client_id: str):
    """One client's contacts.
    ---
    get:
      tags: [contacts]
      summary: List a client's contacts
      parameters: [{in: query, schema: SeekPageQuery}]
      responses:
        200: {description: One page of contacts, schema: ContactPage}
    """
    client = services.clients.get_client(client_id)  # 404 for another agency's client
    return services.clients.list_contacts(
        client_id=client_id,
        status="archived" if client["archived"] else None,
        sort="name",
        **query_args(SeekPageQuery),
    )


@api.post("/clients/<client_id>/contacts")
@permission_required(permissions.CREATE_CLIENTS)
def create_client_contact(client_id: str):
    """Add a contact to this client.
    ---
    post:
      tags: [contacts]
      summary: Add a contact to a client
      requestBody: ClientContactCreateRequest
      responses:
        201: {description: The new contact, schema: Contact}
        404: No such client, or it is archived
        409: The e-mail address is taken
        429: Too many invitations sent to this contact; the message says when to try again
    """
    body = json_body(ClientContactCreateRequest)
    return services.clients.create_contact(client_id=client_id, **body), 201


@api.get("/contacts/<contact_id>")
@permission_required(permissions.VIEW_CLIENTS)
def get_contact(contact_id: str):
    """One contact.
    ---
    get:
      tags: [contacts]
      summary: Get a contact
      responses:
        200: {description: The contact, schema: Contact}
    """
    return services.clients.get_contact(contact_id)


@api.patch("/contacts/<contact_id>")
@permission_required(permissions.EDIT_CLIENTS)
def update_contact(contact_id: str):
    """Change a contact's fields; client_id moves it to another client.
    ---
    patch:
      tags: [contacts]
      summary: Edit a contact
      requestBody: ContactUpdateRequest
      responses:
        200: {description: The contact as changed, schema: Contact}
        404: No such contact, or no such client to move it to
        409: The contact is archived, or the e-mail address is taken
    """
    return services.clients.update_contact(contact_id, **json_body(ContactUpdateRequest))


@api.post("/contacts/<contact_id>/archive")
@permission_required(permissions.DELETE_CLIENTS)
def archive_contact(contact_id: str):
    """ "Delete" a contact: archived (its history kept), its portal login disabled.
    ---
    post:
      tags: [contacts]
      summary: Archive (delete) a contact
      responses:
        200: {description: The archived contact, schema: Contact}
    """
    return services.clients.archive_contact(contact_id)


@api.post("/contacts/<contact_id>/restore")
@permission_required(permissions.DELETE_CLIENTS)
def restore_contact(contact_id: str):
    """Bring an archived contact back (its client must not be archived).
    ---
    post:
      tags: [contacts]
      summary: Restore an archived contact
      responses:
        200: {description: The contact, schema: Contact}
        409: Its client is archived
    """
    return services.clients.restore_contact(contact_id)


@api.put("/contacts/<contact_id>/avatar")
@permission_required(permissions.EDIT_CLIENTS)
def put_avatar(contact_id: str):
    """Set the contact's picture (JPG or PNG, at most 2 MB).
    ---
    put:
      tags: [contacts]
      summary: Upload a picture (multipart field 'file', or the image as the body)
      requestBody: Picture
      responses:
        200: {description: The contact, schema: Contact}
        409: The contact is archived
    """
    avatar = picture_from_request("avatar")
    return services.clients.update_contact(contact_id, avatar_base64=avatar)


@api.get("/contacts/<contact_id>/avatar")
@permission_required(permissions.VIEW_CLIENTS)
def get_avatar(contact_id: str):
    """The contact's picture.
    ---
    get:
      tags: [contacts]
      summary: Get the picture
      responses:
        200: {description: The image, content: {image/png: {}, image/jpeg: {}}}
        404: No such contact, or it has no picture
    """
    return picture_response(services.clients.get_avatar(contact_id))


# --- portal invitations --------------------------------------------------------------------


@api.post("/contacts/<contact_id>/invitation")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def send_invitation(contact_id: str):
    """Send the portal invitation; sending again replaces the link (the old one stops working).
    ---
    post:
      tags: [contacts]
      summary: Send or resend the portal invitation
      requestBody:
        description: Optional
        content:
          application/json:
            schema: InvitationRequest
      responses:
        201: {description: The invitation, schema: InvitationSummary}
        409: The contact already has a portal login, or it or its client is archived
        429: Too many invitations sent to this contact; the message says when to try again
    """
    message = json_body(InvitationRequest).get("message") if request.data else None
    return services.clients.invite_contact(contact_id, message), 201


@api.delete("/contacts/<contact_id>/invitation")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def cancel_contact_invitation(contact_id: str):
    """Cancel the contact's pending invitation: its link stops working.
    ---
    delete:
      tags: [contacts]
      summary: Cancel the pending invitation
      responses:
        200: {description: The cancelled invitation, schema: InvitationSummary}
        404: No such contact, or it has no pending invitation
        409: The invitation was accepted already
    """
    return services.clients.cancel_contact_invitation(contact_id)


@api.get("/invitations")
@permission_required(permissions.VIEW_CLIENTS)
def list_invitations():
    """Portal invitations (pending by default).
    ---
    get:
      tags: [contacts]
      summary: List invitations (status=all for every one), a page at a time
      parameters: [{in: query, schema: InvitationListQuery}]
      responses:
        200: {description: "Invitations, newest first", schema: InvitationPage}
    """
    args = query_args(InvitationListQuery)
    if args["status"] == "all":
        args["status"] = None
    return services.clients.list_invitations(**args)


@api.post("/invitations/<invitation_id>/resend")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def resend_invitation(invitation_id: str):
    """A new link for a pending invitation.
    ---
    post:
      tags: [contacts]
      summary: Resend an invitation
      responses:
        200: {description: The invitation, schema: InvitationSummary}
        409: The invitation is not pending, or the contact or its client is archived
        429: Too many invitations sent to this contact; the message says when to try again
    """
    return services.clients.resend_invitation(invitation_id)


@api.delete("/invitations/<invitation_id>")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def cancel_invitation(invitation_id: str):
    """Cancel an invitation.
    ---
    delete:
      tags: [contacts]
      summary: Cancel an invitation
      responses:
        200: {description: The cancelled invitation, schema: InvitationSummary}
        409: The invitation was accepted already
    """
    return services.clients.cancel_invitation(invitation_id)
