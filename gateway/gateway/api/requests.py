"""/api/v1 requests: the team's list, requests logged on a client's behalf and status changes,
and the client portal's own API (`/portal/...`: a contact's login, its client, its requests)."""

from __future__ import annotations

from flask import request

from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery
from gateway.api.request_schemas import (
    AcceptInvitationRequest,
    PortalLoginRequest,
    PortalRequestCreate,
    RequestCreateRequest,
    RequestListQuery,
    RequestStatusRequest,
)
from gateway.auth import permission_required, portal_login_required, start_session
from gateway.rpc import services
from kit import permissions


@api.get("/requests")
@permission_required(permissions.VIEW_CLIENTS)
def list_requests():
    """Requests from every client's portal, newest first.
    ---
    get:
      tags: [requests]
      summary: List requests (filter by client_id, status)
      parameters: [{in: query, schema: RequestListQuery}]
      responses:
        200: {description: One page of requests, schema: ClientRequestPage}
        404: No such client (client_id)
    """
    return services.clients.list_requests(**query_args(RequestListQuery()))


@api.post("/requests")
@permission_required(permissions.EDIT_CLIENTS)
def create_request():
    """Log a request on a client's behalf; the client's account managers are told.
    ---
    post:
      tags: [requests]
      summary: Log a request for a client
      requestBody: RequestCreateRequest
      responses:
        201: {description: The request, schema: ClientRequest}
        404: No such client (client_id), or no such contact of it (contact_id)
    """
    return services.clients.create_request(**json_body(RequestCreateRequest())), 201


@api.patch("/requests/<request_id>")
@permission_required(permissions.EDIT_CLIENTS)
def set_request_status(request_id: str):
    """Move a request to another status.
    ---
    patch:
      tags: [requests]
      summary: Change a request's status
      requestBody: RequestStatusRequest
      responses:
        200: {description: The request, schema: ClientRequest}
    """
    body = json_body(RequestStatusRequest())
    return services.clients.set_request_status(request_id, body["status"])


# --- the client portal ---------------------------------------------------------------------


@api.post("/portal/login")
def portal_login():
    """A contact signs in to the portal; the answer sets the session cookie.
    ---
    post:
      tags: [portal]
      summary: Portal login (session cookie)
      security: []
      requestBody: PortalLoginRequest
      responses:
        200: {description: Who is signed in, schema: Principal}
        401: Wrong e-mail or password
        429: Too many failed attempts; the message says when to try again
    """
    body = json_body(PortalLoginRequest())
    result = services.identity.login(
        body["email"], body["password"], request.remote_addr, kind="contact"
    )
    start_session(result["session_token"])
    return result["principal"]


@api.post("/portal/invitations/accept")
def portal_accept_invitation():
    """Accept a portal invitation with a password; signs the contact in.
    ---
    post:
      tags: [portal]
      summary: Accept an invitation (token from the e-mail)
      security: []
      requestBody: AcceptInvitationRequest
      responses:
        200: {description: Who is signed in, schema: Principal}
        404: The link is not valid (any more)
    """
    body = json_body(AcceptInvitationRequest())
    # the new login comes signed in: no second, throttled, password login after the invitation
    # is used up
    accepted = services.clients.accept_invitation(body["token"], body["password"])
    start_session(accepted["session_token"])
    return accepted["principal"]


@api.get("/portal/client")
@portal_login_required
def portal_client():
    """The signed-in contact's own client.
    ---
    get:
      tags: [portal]
      summary: My client's profile
      security: [{cookieAuth: []}]
      responses:
        200: {description: The client, schema: PortalClient}
    """
    return services.clients.portal_get_client()


@api.get("/portal/requests")
@portal_login_required
def portal_requests():
    """The requests of the signed-in contact's client.
    ---
    get:
      tags: [portal]
      summary: My client's requests
      security: [{cookieAuth: []}]
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of requests, schema: ClientRequestPage}
    """
    return services.clients.portal_list_requests(**query_args(PageQuery()))


@api.post("/portal/requests")
@portal_login_required
def portal_create_request():
    """Ask the agency for something.
    ---
    post:
      tags: [portal]
      summary: Send a request
      security: [{cookieAuth: []}]
      requestBody: PortalRequestCreate
      responses:
        201: {description: The request, schema: ClientRequest}
    """
    return services.clients.portal_create_request(**json_body(PortalRequestCreate())), 201
