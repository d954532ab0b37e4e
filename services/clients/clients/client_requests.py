"""Client requests (from the client portal, or logged by the team on a client's behalf), their
status and assignee, and the portal's own view of its client. Reading them (the inbox) is
request_inbox.py's; threads (comments, notes) request_threads.py's; files attachments.py's.

A portal principal (ctx.kind "contact", ctx.client_id and ctx.contact_id set) reaches only its
own client: the portal methods take no client id, they use ctx.client_id, and only while
ctx.contact_id is a live contact of that client in the caller's agency (a contact moved to
another client or archived must sign in again). A portal contact sees every request of its
client, newest first; another client's request is NotFound.

The team lists requests (view_clients) in one inbox across clients, filtered by status, client,
contact, assignee, the client's account manager and unread (for the caller: nothing was added
to the thread since they last opened it); logs one for a client (`create_request`, edit_clients;
optionally naming one of the client's contacts), sets their status and assigns them to a team
member (edit_clients): open -> in_progress -> done, or cancelled. A new request, whoever logs
it, touches the client's and the contact's `last_activity_at` and records `request_created`
with the client's account managers, so notifications can tell them. Its payload names the
request `client_request_id`: `request_id` is the kit's tracing id on every event payload
(record_event would overwrite it).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from clients import attachments, pictures
from clients.common import Identity, find_contact
from clients.companies import find_client
from clients.models import Client, ClientRequest, Contact, RequestComment
from clients.request_inbox import find_request, mark_read, portal_client, request_dict, touch
from clients.storage import FileStore
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.ids import parse_field_id
from kit.inputs import clean_text, one_of
from kit.outbox import record_event
from kit.permissions import EDIT_CLIENTS
from kit.vocabulary import REQUEST_STATUSES


def portal_get_client(session: Session, ctx: Context) -> dict:
    """The profile the portal shows: the client's public fields and who is logged in."""
    client, contact = portal_client(session, ctx)
    return {
        "id": str(client.id),
        "name": client.name,
        "description": client.description,
        "website": client.website,
        "address": client.address,
        "status": client.status,
        "has_logo": pictures.has_picture(session, ctx.agency, client.id),
        "contact": {"id": str(contact.id), "name": contact.name, "email": contact.email},
    }


def portal_get_logo(session: Session, ctx: Context) -> dict:
    client, _ = portal_client(session, ctx)
    return pictures.read_picture(session, ctx.agency, client.id, "client")


# --- new requests ----------------------------------------------------------------------------


def _clean_request(title: Any, description: Any, service_name: Any) -> dict:
    return {
        "title": clean_text(title, "title", 200, required=True),
        "description": clean_text(description, "description", 10000),
        "service_name": clean_text(service_name, "service_name", 200) or None,
    }


def _add_request(
    session: Session,
    ctx: Context,
    client: Client,
    contact: Contact | None,
    fields: dict,
    stored: list[attachments.StoredFile],
) -> dict:
    now = utcnow()
    request = ClientRequest(
        agency_id=ctx.agency,
        client_id=client.id,
        contact_id=contact.id if contact else None,
        **fields,
        status="open",
        activity_at=now,
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    client.last_activity_at = now
    if contact:
        contact.last_activity_at = now
    session.flush()
    attachments.record_files(session, ctx, request, None, stored)
    if ctx.kind == TEAM and ctx.principal_id:
        mark_read(session, ctx, request)
    record_event(
        session,
        ctx,
        "request_created",
        {
            "client_request_id": str(request.id),
            "client_id": str(client.id),
            "client_name": client.name,
            "contact_id": str(contact.id) if contact else None,
            "contact_name": contact.name if contact else None,
            "contact_email": contact.email if contact else None,
            "title": request.title,
            "description": request.description,
            "service_name": request.service_name,
            "account_manager_ids": list(client.account_manager_ids or []),
            "attachment_count": len(stored),
        },
    )
    return request_dict(request, client.name, contact, False if ctx.kind == TEAM else None)


def portal_create_request(
    session: Session,
    ctx: Context,
    title: str,
    description: str | None = None,
    service_name: str | None = None,
    files: Any = None,
    *,
    store: FileStore | None = None,
    max_bytes: int = attachments.DEFAULT_MAX_BYTES,
) -> dict:
    """A flow: the input and the caller are checked, the files stored, then the request
    recorded with them in one transaction."""
    fields = _clean_request(title, description, service_name)
    checked = attachments.check_files(files, max_bytes)
    portal_client(session, ctx)
    session.commit()  # no transaction stays open over the store's calls
    stored = attachments.store_files(store, ctx, checked)
    with session.begin():
        client, contact = portal_client(session, ctx)
        return _add_request(session, ctx, client, contact, fields, stored)


def _team_request_parties(
    session: Session, ctx: Context, client_id: str, contact_id: str | None
) -> tuple[Client, Contact | None]:
    client = find_client(session, ctx.agency, client_id, live_only=True)
    contact = None
    if contact_id:
        contact = find_contact(session, ctx.agency, contact_id)
        if contact.client_id != client.id or contact.archived_at is not None:
            raise ValidationError(
                f"{contact.name} is not a contact of {client.name}.",
                {"contact_id": "Choose a contact of this client."},
            )
    return client, contact


def create_request(
    session: Session,
    ctx: Context,
    client_id: str,
    title: str,
    description: str | None = None,
    service_name: str | None = None,
    contact_id: str | None = None,
    files: Any = None,
    *,
    store: FileStore | None = None,
    max_bytes: int = attachments.DEFAULT_MAX_BYTES,
) -> dict:
    """The team logs a request on a live client's behalf (from one of its live contacts); a
    flow, as portal_create_request."""
    ctx.require(EDIT_CLIENTS)
    fields = _clean_request(title, description, service_name)
    checked = attachments.check_files(files, max_bytes)
    _team_request_parties(session, ctx, client_id, contact_id)
    session.commit()
    stored = attachments.store_files(store, ctx, checked)
    with session.begin():
        client, contact = _team_request_parties(session, ctx, client_id, contact_id)
        return _add_request(session, ctx, client, contact, fields, stored)


# --- status and assignment -------------------------------------------------------------------


def set_request_status(session: Session, ctx: Context, request_id: str, status: str) -> dict:
    """A new status, recorded in the thread (both sides see it) and as `request_status_changed`
    (notifications e-mail the request's contact)."""
    ctx.require(EDIT_CLIENTS)
    one_of(status, REQUEST_STATUSES)
    request, client_name, contact = find_request(session, ctx, request_id)
    if request.status != status:
        old, request.status = request.status, status
        session.add(
            RequestComment(
                agency_id=ctx.agency,
                request_id=request.id,
                kind="status",
                author_kind=TEAM,
                author_id=ctx.principal_id,
                author_name="",
                body="",
                old_status=old,
                status=status,
                created_at=utcnow(),
            )
        )
        touch(session, ctx, request)
        record_event(
            session,
            ctx,
            "request_status_changed",
            {
                "client_request_id": str(request.id),
                "client_id": str(request.client_id),
                "client_name": client_name,
                "contact_id": str(request.contact_id) if request.contact_id else None,
                "contact_name": contact.name if contact else None,
                "contact_email": contact.email if contact and not contact.archived_at else None,
                "title": request.title,
                "old_status": old,
                "status": status,
            },
        )
    return request_dict(request, client_name, contact, False)


def assign_request(
    session: Session, ctx: Context, identity: Identity, request_id: str, assignee_id: Any
) -> dict:
    """Assign the request to an active team member (None: nobody). A flow: the user is asked of
    identity before the transaction opens."""
    ctx.require(EDIT_CLIENTS)
    user = None
    if assignee_id not in (None, ""):
        wanted = str(parse_field_id(assignee_id, "assignee_id"))
        users = identity.users_by_ids(ctx.to_dict(), [wanted])
        user = next((u for u in users if u.get("id") == wanted), None)
        if user is None or user.get("status") != "active":
            raise ValidationError(
                "Choose an active member of your team.",
                {"assignee_id": "Choose an active member of your team."},
            )
    with session.begin():
        request, client_name, contact = find_request(session, ctx, request_id)
        new = user["id"] if user else None
        if request.assignee_id != new:
            request.assignee_id = new
            request.updated_at = utcnow()
            if new:
                record_event(
                    session,
                    ctx,
                    "request_assigned",
                    {
                        "client_request_id": str(request.id),
                        "client_id": str(request.client_id),
                        "client_name": client_name,
                        "title": request.title,
                        "assignee_id": new,
                        "assigned_by": ctx.principal_id,
                    },
                )
        return request_dict(request, client_name, contact, None)
