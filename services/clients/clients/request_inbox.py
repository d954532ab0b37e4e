"""Reading requests: the shape a request is answered in, the team's inbox (every client's
requests, filtered by status, client, contact, assignee, the client's account manager and
unread) and its counts, a portal contact's own client's requests, finding one request for a
change, and the read marks behind "unread".

A team member has read a request when their `request_reads` row is at least as new as its
`activity_at` (the last thing added to its thread, by anyone); their own additions mark it
read for them. A portal contact reaches only its own client's requests; another client's, or
another agency's, is NotFound.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, exists, func, select, true
from sqlalchemy.orm import Session

from clients import portal_access
from clients.common import find_contact
from clients.companies import find_client
from clients.models import Client, ClientRequest, Contact, RequestRead
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.errors import NotFound, PermissionDenied, ValidationError
from kit.ids import parse_id
from kit.inputs import iso, one_of
from kit.paging import page_of
from kit.permissions import VIEW_CLIENTS
from kit.vocabulary import REQUEST_STATUSES

# The inbox's open requests: what still needs the team.
OPEN_STATUSES = ("open", "in_progress")


def request_dict(
    request: ClientRequest, client_name: str, contact: Contact | None, unread: bool | None = None
) -> dict:
    data = {
        "id": str(request.id),
        "client_id": str(request.client_id),
        "client_name": client_name,
        "contact_id": str(request.contact_id) if request.contact_id else None,
        "contact_name": contact.name if contact else None,
        "title": request.title,
        "description": request.description,
        "service_name": request.service_name,
        "status": request.status,
        "assignee_id": request.assignee_id,
        "activity_at": iso(request.activity_at),
        "created_at": iso(request.created_at),
        "updated_at": iso(request.updated_at),
    }
    if unread is not None:
        data["unread"] = unread
    return data


def portal_client(session: Session, ctx: Context) -> tuple[Client, Contact]:
    """The portal caller's client and contact; PermissionDenied when either has changed."""
    contact = portal_access.portal_contact(session, ctx)
    client = session.scalar(
        select(Client).where(Client.agency_id == ctx.agency, Client.id == contact.client_id)
    )
    if client is None or client.archived_at is not None:
        raise PermissionDenied("This client account is closed.")
    return client, contact


def _read_by(ctx: Context):
    """SQL: the caller has opened the request since the last thing was added to it."""
    return exists().where(
        RequestRead.request_id == ClientRequest.id,
        RequestRead.user_id == str(ctx.principal_id),
        RequestRead.read_at >= ClientRequest.activity_at,
    )


def _base_query(ctx: Context, status: str | None = None):
    one_of(status, (None, "", *REQUEST_STATUSES))
    read = _read_by(ctx) if ctx.kind == TEAM else true()
    query = (
        select(ClientRequest, Client.name, Contact, read.label("read"))
        .join(Client, Client.id == ClientRequest.client_id)
        .outerjoin(Contact, Contact.id == ClientRequest.contact_id)
        .where(ClientRequest.agency_id == ctx.agency)
    )
    return query.where(ClientRequest.status == status) if status else query


def _listing(session: Session, ctx: Context, query, page: Any, per_page: Any) -> dict:
    team = ctx.kind == TEAM
    query = query.order_by(ClientRequest.activity_at.desc(), ClientRequest.id)
    return page_of(
        session,
        query,
        page,
        per_page,
        lambda rows: [
            request_dict(r, name, contact, (not read) if team else None)
            for r, name, contact, read in rows
        ],
    )


def portal_list_requests(
    session: Session, ctx: Context, status: str | None = None, page: Any = 1, per_page: Any = 25
) -> dict:
    client, _ = portal_client(session, ctx)
    query = _base_query(ctx, status).where(ClientRequest.client_id == client.id)
    return _listing(session, ctx, query, page, per_page)


def _flag(value: Any, field: str) -> bool:
    if value in (None, "", False, "false", "0"):
        return False
    if value in (True, "true", "1"):
        return True
    raise ValidationError(f"{field} is true or false.", {field: "Use true or false."})


def list_requests(
    session: Session,
    ctx: Context,
    client_id: str | None = None,
    status: str | None = None,
    page: Any = 1,
    per_page: Any = 25,
    assignee_id: str | None = None,
    account_manager_id: str | None = None,
    contact_id: str | None = None,
    unread: Any = None,
) -> dict:
    """The inbox: every client's requests, the most recently active first. `status` also takes
    "open_any" (open or in progress); `assignee_id` "none" for unassigned ones."""
    ctx.require(VIEW_CLIENTS)
    open_any = status == "open_any"
    query = _base_query(ctx, None if open_any else status)
    if open_any:
        query = query.where(ClientRequest.status.in_(OPEN_STATUSES))
    if client_id:
        # another agency's client is not found, as everywhere, rather than an empty list
        client = find_client(session, ctx.agency, client_id)
        query = query.where(ClientRequest.client_id == client.id)
    if contact_id:
        contact = find_contact(session, ctx.agency, contact_id)
        query = query.where(ClientRequest.contact_id == contact.id)
    if assignee_id == "none":
        query = query.where(ClientRequest.assignee_id.is_(None))
    elif assignee_id:
        query = query.where(ClientRequest.assignee_id == str(assignee_id)[:64])
    if account_manager_id:
        query = query.where(Client.account_manager_ids.contains([str(account_manager_id)[:64]]))
    if _flag(unread, "unread"):
        query = query.where(~_read_by(ctx))
    return _listing(session, ctx, query, page, per_page)


def count_requests(session: Session, ctx: Context) -> dict:
    """The inbox's numbers for the caller: `{"unread", "open", "assigned_to_me"}` (unread and
    assigned: of the requests still open or in progress)."""
    ctx.require(VIEW_CLIENTS)
    live = and_(ClientRequest.agency_id == ctx.agency, ClientRequest.status.in_(OPEN_STATUSES))
    me = str(ctx.principal_id)
    row = session.execute(
        select(
            func.count(),
            func.count().filter(~_read_by(ctx)),
            func.count().filter(ClientRequest.assignee_id == me),
        ).where(live)
    ).one()
    return {"open": row[0], "unread": row[1], "assigned_to_me": row[2]}


def find_request(session: Session, ctx: Context, request_id: Any) -> tuple:
    """(request, client name, contact) of the caller's agency (a portal caller: of its own
    client); NotFound otherwise."""
    query = _base_query(ctx).where(ClientRequest.id == parse_id(request_id, "request"))
    if ctx.kind != TEAM:
        client, _ = portal_client(session, ctx)
        query = query.where(ClientRequest.client_id == client.id)
    row = session.execute(query).first()
    if row is None:
        raise NotFound("No such request.")
    return row[0], row[1], row[2]


def mark_read(session: Session, ctx: Context, request: ClientRequest) -> None:
    """The caller (a team member) has seen the request as it is now."""
    read = session.get(RequestRead, (request.id, str(ctx.principal_id)))
    now = max(utcnow(), request.activity_at)
    if read is None:
        session.add(
            RequestRead(
                agency_id=ctx.agency,
                request_id=request.id,
                user_id=str(ctx.principal_id),
                read_at=now,
            )
        )
    else:
        read.read_at = now


def touch(session: Session, ctx: Context, request: ClientRequest) -> None:
    """Something was added to the request's thread: unread for everyone but its author."""
    now = utcnow()
    request.activity_at = now
    request.updated_at = now
    if ctx.kind == TEAM and ctx.principal_id:
        session.flush()
        mark_read(session, ctx, request)
