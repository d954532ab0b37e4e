"""Client requests (from the client portal, or logged by the team on a client's behalf), and the
portal's own view of its client.

A portal principal (ctx.kind "contact", ctx.client_id and ctx.contact_id set) reaches only its
own client: the portal methods take no client id, they use ctx.client_id, and only while
ctx.contact_id is a live contact of that client in the caller's agency (a contact moved to
another client or archived must sign in again). A portal contact sees every request of its
client, newest first.

The team lists requests (view_clients), logs one for a client (`create_request`, edit_clients;
optionally naming one of the client's contacts) and sets their status (edit_clients):
open -> in_progress -> done, or cancelled. A new request, whoever logs it, touches the client's
and the contact's `last_activity_at` and records `request_created` with the client's account
managers, so notifications can tell them. Its payload names the request `client_request_id`:
`request_id` is the kit's tracing id on every event payload (record_event would overwrite it).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients import pictures, portal_access
from clients.common import find_contact
from clients.companies import find_client
from clients.models import Client, ClientRequest, Contact
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, PermissionDenied, ValidationError
from kit.ids import parse_id
from kit.inputs import clean_text, iso, one_of
from kit.outbox import record_event
from kit.paging import page_of
from kit.permissions import EDIT_CLIENTS, VIEW_CLIENTS
from kit.vocabulary import REQUEST_STATUSES


def request_dict(request: ClientRequest, client_name: str, contact: Contact | None) -> dict:
    return {
        "id": str(request.id),
        "client_id": str(request.client_id),
        "client_name": client_name,
        "contact_id": str(request.contact_id) if request.contact_id else None,
        "contact_name": contact.name if contact else None,
        "title": request.title,
        "description": request.description,
        "service_name": request.service_name,
        "status": request.status,
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
    }


def _portal_client(session: Session, ctx: Context) -> tuple[Client, Contact]:
    """The portal caller's client and contact; PermissionDenied when either has changed."""
    contact = portal_access.portal_contact(session, ctx)
    client = session.scalar(
        select(Client).where(Client.agency_id == ctx.agency, Client.id == contact.client_id)
    )
    if client is None or client.archived_at is not None:
        raise PermissionDenied("This client account is closed.")
    return client, contact


def portal_get_client(session: Session, ctx: Context) -> dict:
    """The profile the portal shows: the client's public fields and who is logged in."""
    client, contact = _portal_client(session, ctx)
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
    client, _ = _portal_client(session, ctx)
    return pictures.read_picture(session, ctx.agency, client.id, "client")


def _add_request(
    session: Session,
    ctx: Context,
    client: Client,
    contact: Contact | None,
    title: Any,
    description: Any,
    service_name: Any,
) -> dict:
    now = utcnow()
    request = ClientRequest(
        agency_id=ctx.agency,
        client_id=client.id,
        contact_id=contact.id if contact else None,
        title=clean_text(title, "title", 200, required=True),
        description=clean_text(description, "description", 10000),
        service_name=clean_text(service_name, "service_name", 200) or None,
        status="open",
        created_at=now,
        updated_at=now,
    )
    session.add(request)
    client.last_activity_at = now
    if contact:
        contact.last_activity_at = now
    session.flush()
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
        },
    )
    return request_dict(request, client.name, contact)


def portal_create_request(
    session: Session,
    ctx: Context,
    title: str,
    description: str | None = None,
    service_name: str | None = None,
) -> dict:
    client, contact = _portal_client(session, ctx)
    return _add_request(session, ctx, client, contact, title, description, service_name)


def create_request(
    session: Session,
    ctx: Context,
    client_id: str,
    title: str,
    description: str | None = None,
    service_name: str | None = None,
    contact_id: str | None = None,
) -> dict:
    """The team logs a request on a live client's behalf (from one of its live contacts)."""
    ctx.require(EDIT_CLIENTS)
    client = find_client(session, ctx.agency, client_id, live_only=True)
    contact = None
    if contact_id:
        contact = find_contact(session, ctx.agency, contact_id)
        if contact.client_id != client.id or contact.archived_at is not None:
            raise ValidationError(
                f"{contact.name} is not a contact of {client.name}.",
                {"contact_id": "Choose a contact of this client."},
            )
    return _add_request(session, ctx, client, contact, title, description, service_name)


def _listing(session: Session, query, page: Any, per_page: Any) -> dict:
    query = query.order_by(ClientRequest.created_at.desc(), ClientRequest.id)
    return page_of(
        session,
        query,
        page,
        per_page,
        lambda rows: [request_dict(r, name, contact) for r, name, contact in rows],
    )


def _base_query(agency: uuid.UUID, status: str | None):
    one_of(status, (None, "", *REQUEST_STATUSES))
    query = (
        select(ClientRequest, Client.name, Contact)
        .join(Client, Client.id == ClientRequest.client_id)
        .outerjoin(Contact, Contact.id == ClientRequest.contact_id)
        .where(ClientRequest.agency_id == agency)
    )
    return query.where(ClientRequest.status == status) if status else query


def portal_list_requests(
    session: Session, ctx: Context, status: str | None = None, page: Any = 1, per_page: Any = 25
) -> dict:
    client, _ = _portal_client(session, ctx)
    query = _base_query(ctx.agency, status).where(ClientRequest.client_id == client.id)
    return _listing(session, query, page, per_page)


def list_requests(
    session: Session,
    ctx: Context,
    client_id: str | None = None,
    status: str | None = None,
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    ctx.require(VIEW_CLIENTS)
    query = _base_query(ctx.agency, status)
    if client_id:
        # another agency's client is not found, as everywhere, rather than an empty list
        client = find_client(session, ctx.agency, client_id)
        query = query.where(ClientRequest.client_id == client.id)
    return _listing(session, query, page, per_page)


def set_request_status(session: Session, ctx: Context, request_id: str, status: str) -> dict:
    ctx.require(EDIT_CLIENTS)
    one_of(status, REQUEST_STATUSES)
    row = session.execute(
        _base_query(ctx.agency, None).where(ClientRequest.id == parse_id(request_id, "request"))
    ).first()
    if row is None:
        raise NotFound("No such request.")
    request, client_name, contact = row
    if request.status != status:
        old, request.status = request.status, status
        request.updated_at = utcnow()
        record_event(
            session,
            ctx,
            "request_status_changed",
            {
                "client_request_id": str(request.id),
                "client_id": str(request.client_id),
                "contact_id": str(request.contact_id) if request.contact_id else None,
                "title": request.title,
                "old_status": old,
                "status": status,
            },
        )
    return request_dict(request, client_name, contact)
