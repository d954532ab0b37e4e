"""/api/v1 requests: the team's inbox, requests logged on a client's behalf, their threads
(comments, internal notes, files), status and assignment; and the client portal's own API
(`/portal/...`: a contact's login, its client, its requests and their threads, notes never)."""

from __future__ import annotations

from flask import request

from gateway.api.base import api, json_body, query_args
from gateway.api.paging import PageQuery
from gateway.api.request_schemas import (
    AcceptInvitationRequest,
    AssignRequest,
    CommentCreateRequest,
    PortalLoginRequest,
    PortalRequestCreate,
    RequestCreateRequest,
    RequestListQuery,
    RequestStatusRequest,
)
from gateway.auth import permission_required, portal_login_required, start_session
from gateway.rpc import services
from gateway.uploads import attachment_files, attachment_response
from kit import permissions


@api.get("/requests")
@permission_required(permissions.VIEW_CLIENTS)
def list_requests():
    """The inbox: every client's requests, the most recently active first.
    ---
    get:
      tags: [requests]
      summary: List requests (filter by client, status, assignee, account manager, unread)
      parameters: [{in: query, schema: RequestListQuery}]
      responses:
        200: {description: One page of requests, schema: ClientRequestPage}
        404: No such client (client_id)
    """
    return services.clients.list_requests(**query_args(RequestListQuery))


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
    return services.clients.create_request(**json_body(RequestCreateRequest)), 201


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
    body = json_body(RequestStatusRequest)
    return services.clients.set_request_status(request_id, body["status"])


@api.get("/requests/counts")
@permission_required(permissions.VIEW_CLIENTS)
def request_counts():
    """The inbox's numbers for the caller.
    ---
    get:
      tags: [requests]
      summary: Open, unread and assigned-to-me counts
      responses:
        200: {description: The counts, schema: RequestCounts}
    """
    return services.clients.count_requests()


@api.get("/requests/<request_id>")
@permission_required(permissions.VIEW_CLIENTS)
def get_request(request_id: str):
    """A request with its whole thread (internal notes included); marks it read for you.
    ---
    get:
      tags: [requests]
      summary: Get a request and its thread
      responses:
        200: {description: The request, schema: RequestThread}
    """
    return services.clients.get_request(request_id)


@api.post("/requests/<request_id>/assign")
@permission_required(permissions.EDIT_CLIENTS)
def assign_request(request_id: str):
    """Assign the request to a team member (null: nobody).
    ---
    post:
      tags: [requests]
      summary: Assign a request
      requestBody: AssignRequest
      responses:
        200: {description: The request, schema: ClientRequest}
    """
    body = json_body(AssignRequest)
    return services.clients.assign_request(request_id, body["assignee_id"])


@api.get("/requests/<request_id>/comments")
@permission_required(permissions.VIEW_CLIENTS)
def list_request_comments(request_id: str):
    """The request's thread, oldest first: comments, internal notes and status changes.
    ---
    get:
      tags: [requests]
      summary: List a request's comments and notes
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of the thread, schema: RequestCommentPage}
    """
    return services.clients.list_request_comments(request_id, **query_args(PageQuery))


def _add_comment(request_id: str, internal: bool):
    body = _comment_body()
    return services.clients.add_request_comment(request_id, internal=internal, **body), 201


def _comment_body() -> dict:
    """A comment as JSON (files in base64) or as a form with files (`attachments`)."""
    if request.mimetype == "multipart/form-data":
        body = CommentCreateRequest().load({"body": request.form.get("body", "")})
        body["attachments"] = attachment_files(request.files.getlist("attachments"))
        return body
    return json_body(CommentCreateRequest)


@api.post("/requests/<request_id>/comments")
@permission_required(permissions.EDIT_CLIENTS)
def add_request_comment(request_id: str):
    """Reply to the client: a comment the request's contact sees (and is e-mailed about).
    ---
    post:
      tags: [requests]
      summary: Add a comment (with files)
      requestBody:
        content:
          application/json:
            schema: CommentCreateRequest
          multipart/form-data:
            schema:
              type: object
              properties:
                body: {type: string}
                attachments: {type: array, items: {type: string, format: binary}}
      responses:
        201: {description: The comment, schema: RequestComment}
    """
    return _add_comment(request_id, internal=False)


@api.post("/requests/<request_id>/notes")
@permission_required(permissions.EDIT_CLIENTS)
def add_request_note(request_id: str):
    """An internal note: the team sees it, the client never does (nor any file on it).
    ---
    post:
      tags: [requests]
      summary: Add an internal note (with files)
      requestBody:
        content:
          application/json:
            schema: CommentCreateRequest
          multipart/form-data:
            schema:
              type: object
              properties:
                body: {type: string}
                attachments: {type: array, items: {type: string, format: binary}}
      responses:
        201: {description: The note, schema: RequestComment}
    """
    return _add_comment(request_id, internal=True)


@api.get("/requests/<request_id>/attachments/<attachment_id>")
@permission_required(permissions.VIEW_CLIENTS)
def download_request_attachment(request_id: str, attachment_id: str):
    """A file of the request or of its thread, as a download.
    ---
    get:
      tags: [requests]
      summary: Download an attachment
      responses:
        200:
          description: The file, as a download (Content-Disposition attachment)
          content: {application/octet-stream: {}}
    """
    return attachment_response(services.clients.get_request_attachment(request_id, attachment_id))


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
    body = json_body(PortalLoginRequest)
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
    body = json_body(AcceptInvitationRequest)
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
    return services.clients.portal_list_requests(**query_args(PageQuery))


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
    return services.clients.portal_create_request(**json_body(PortalRequestCreate)), 201


@api.get("/portal/requests/<request_id>")
@portal_login_required
def portal_get_request(request_id: str):
    """One of my client's requests with its thread (the agency's internal notes are not in it).
    ---
    get:
      tags: [portal]
      summary: My client's request and its thread
      security: [{cookieAuth: []}]
      responses:
        200: {description: The request, schema: RequestThread}
    """
    return services.clients.portal_get_request(request_id)


@api.get("/portal/requests/<request_id>/comments")
@portal_login_required
def portal_list_comments(request_id: str):
    """The thread of one of my client's requests, oldest first.
    ---
    get:
      tags: [portal]
      summary: List a request's comments
      security: [{cookieAuth: []}]
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of the thread, schema: RequestCommentPage}
    """
    return services.clients.portal_list_request_comments(request_id, **query_args(PageQuery))


@api.post("/portal/requests/<request_id>/comments")
@portal_login_required
def portal_add_comment(request_id: str):
    """Comment on one of my client's requests; the agency is told.
    ---
    post:
      tags: [portal]
      summary: Add a comment (with files)
      security: [{cookieAuth: []}]
      requestBody:
        content:
          application/json:
            schema: CommentCreateRequest
          multipart/form-data:
            schema:
              type: object
              properties:
                body: {type: string}
                attachments: {type: array, items: {type: string, format: binary}}
      responses:
        201: {description: The comment, schema: RequestComment}
    """
    body = _comment_body()
    return services.clients.portal_add_request_comment(request_id, **body), 201


@api.get("/portal/requests/<request_id>/attachments/<attachment_id>")
@portal_login_required
def portal_download_attachment(request_id: str, attachment_id: str):
    """A file of one of my client's requests, as a download.
    ---
    get:
      tags: [portal]
      summary: Download an attachment
      security: [{cookieAuth: []}]
      responses:
        200:
          description: The file, as a download (Content-Disposition attachment)
          content: {application/octet-stream: {}}
    """
    return attachment_response(
        services.clients.portal_get_request_attachment(request_id, attachment_id)
    )
