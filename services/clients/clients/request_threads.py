"""A request's thread: comments from both sides, internal notes (the team's only: never shown
to a portal contact, never in an event a contact's e-mail is made from), status changes
(client_requests.py), and the files on them (attachments.py). Reading is request_inbox.py's.

The team (view_clients) opens a request with its whole thread, which marks it read for them;
comments and notes need edit_clients. A portal contact opens its own client's requests only and
sees no note, nor any file on one. A comment (not a note) records `request_comment_added`, so
notifications can tell the other side: a contact's comment goes to the request's assignee (or
the client's account managers, or the team members who manage client requests), a team
member's to the request's contact. Adding a comment is a flow: files are stored first, then the
comment and their rows are written in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients import attachments, portal_access
from clients.common import Identity, portal_only
from clients.models import Client, ClientRequest, Contact, RequestComment
from clients.request_inbox import find_request, mark_read, request_dict, touch
from clients.storage import FileStore
from kit.context import PORTAL, TEAM, Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.inputs import clean_text, iso
from kit.outbox import record_event
from kit.paging import page_of
from kit.permissions import EDIT_CLIENTS, VIEW_CLIENTS

COMMENT = "comment"
NOTE = "note"
STATUS = "status"


def comment_dict(comment: RequestComment, files: list[dict]) -> dict:
    return {
        "id": str(comment.id),
        "request_id": str(comment.request_id),
        "kind": comment.kind,
        "author_kind": comment.author_kind,
        "author_id": comment.author_id,
        "author_name": comment.author_name,
        "body": comment.body,
        "old_status": comment.old_status,
        "status": comment.status,
        "attachments": files,
        "created_at": iso(comment.created_at),
    }


def _comments(request: ClientRequest, public_only: bool):
    query = (
        select(RequestComment)
        .where(
            RequestComment.agency_id == request.agency_id,
            RequestComment.request_id == request.id,
        )
        .order_by(RequestComment.created_at, RequestComment.id)
    )
    return query.where(RequestComment.kind != NOTE) if public_only else query


def _files_by_comment(session: Session, request: ClientRequest, public_only: bool) -> dict:
    by_comment: dict[str | None, list[dict]] = {}
    for row in attachments.attachments_of(session, request.id, public_only):
        item = attachments.attachment_dict(row)
        by_comment.setdefault(item["comment_id"], []).append(item)
    return by_comment


def _thread(session: Session, request: ClientRequest, public_only: bool) -> dict:
    """`{"attachments": the request's own files, "thread": [comment...] oldest first}`."""
    files = _files_by_comment(session, request, public_only)
    comments = session.scalars(_comments(request, public_only))
    return {
        "attachments": files.get(None, []),
        "thread": [comment_dict(c, files.get(str(c.id), [])) for c in comments],
    }


def _comment_page(
    session: Session, request: ClientRequest, public_only: bool, page: Any, per_page: Any
) -> dict:
    files = _files_by_comment(session, request, public_only)
    return page_of(
        session,
        _comments(request, public_only),
        page,
        per_page,
        lambda rows: [comment_dict(c, files.get(str(c.id), [])) for (c,) in rows],
    )


def list_comments(
    session: Session, ctx: Context, request_id: str, page: Any = 1, per_page: Any = 100
) -> dict:
    """A page of the request's thread, oldest first, notes included (view_clients)."""
    ctx.require(VIEW_CLIENTS)
    request, _, _ = find_request(session, ctx, request_id)
    return _comment_page(session, request, False, page, per_page)


def portal_list_comments(
    session: Session, ctx: Context, request_id: str, page: Any = 1, per_page: Any = 100
) -> dict:
    """A page of the thread of one of the contact's client's requests, without notes."""
    portal_only(ctx)
    request, _, _ = find_request(session, ctx, request_id)
    return _comment_page(session, request, True, page, per_page)


def get_request(session: Session, ctx: Context, request_id: str) -> dict:
    """The request with its whole thread, notes included; the caller has now read it."""
    ctx.require(VIEW_CLIENTS)
    request, client_name, contact = find_request(session, ctx, request_id)
    client = session.get(Client, request.client_id)
    if ctx.principal_id:
        mark_read(session, ctx, request)
    return {
        **request_dict(request, client_name, contact, False),
        "account_manager_ids": list(client.account_manager_ids or []) if client else [],
        **_thread(session, request, public_only=False),
    }


def portal_get_request(session: Session, ctx: Context, request_id: str) -> dict:
    """One of the contact's client's requests with its thread, without internal notes."""
    portal_only(ctx)
    request, client_name, contact = find_request(session, ctx, request_id)
    return {**request_dict(request, client_name, contact), **_thread(session, request, True)}


def _author_name(identity: Identity, ctx: Context) -> str:
    """The team member's name, asked of identity (before any transaction opens)."""
    if not ctx.principal_id:
        return "The team"
    users = identity.users_by_ids(ctx.to_dict(), [str(ctx.principal_id)])
    return (users[0].get("name") if users else None) or "The team"


def _clean_body(body: Any, has_files: bool) -> str:
    text = clean_text(body, "body", 20000)
    if not text and not has_files:
        raise ValidationError("Write a comment or attach a file.", {"body": "Write a comment."})
    return text


def add_comment(
    session: Session,
    ctx: Context,
    identity: Identity,
    store: FileStore,
    max_bytes: int,
    request_id: str,
    body: Any,
    internal: Any = False,
    files: Any = None,
) -> dict:
    """A team member's comment (both sides see it) or, `internal`, a note (the team only)."""
    ctx.require(EDIT_CLIENTS)
    if not isinstance(internal, bool):
        raise ValidationError("internal is true or false.", {"internal": "Use true or false."})
    checked = attachments.check_files(files, max_bytes)
    text = _clean_body(body, bool(checked))
    find_request(session, ctx, request_id)
    session.commit()  # no transaction stays open over identity's and the store's calls
    author = _author_name(identity, ctx)
    stored = attachments.store_files(store, ctx, checked)
    with session.begin():
        request, client_name, contact = find_request(session, ctx, request_id)
        kind = NOTE if internal else COMMENT
        return _add(session, ctx, request, client_name, contact, kind, author, text, stored)


def portal_add_comment(
    session: Session,
    ctx: Context,
    store: FileStore,
    max_bytes: int,
    request_id: str,
    body: Any,
    files: Any = None,
) -> dict:
    """A contact's comment on one of its client's requests."""
    portal_only(ctx)
    checked = attachments.check_files(files, max_bytes)
    text = _clean_body(body, bool(checked))
    find_request(session, ctx, request_id)
    session.commit()
    stored = attachments.store_files(store, ctx, checked)
    with session.begin():
        request, client_name, contact = find_request(session, ctx, request_id)
        author = portal_access.portal_contact(session, ctx)
        return _add(session, ctx, request, client_name, contact, COMMENT, author.name, text, stored)


def _add(
    session: Session,
    ctx: Context,
    request: ClientRequest,
    client_name: str,
    contact: Contact | None,
    kind: str,
    author: str,
    text: str,
    stored: list[attachments.StoredFile],
) -> dict:
    comment = RequestComment(
        agency_id=ctx.agency,
        request_id=request.id,
        kind=kind,
        author_kind=PORTAL if ctx.kind == PORTAL else TEAM,
        author_id=str(ctx.contact_id if ctx.kind == PORTAL else ctx.principal_id or "") or None,
        author_name=author[:200],
        body=text,
        created_at=utcnow(),
    )
    session.add(comment)
    session.flush()
    rows = attachments.record_files(session, ctx, request, comment, stored)
    touch(session, ctx, request)
    if ctx.kind == PORTAL:
        portal_access.portal_contact(session, ctx).last_activity_at = comment.created_at
        client = session.get(Client, request.client_id)
        if client is not None:
            client.last_activity_at = comment.created_at
    if kind == COMMENT:
        client = session.get(Client, request.client_id)
        record_event(
            session,
            ctx,
            "request_comment_added",
            {
                "client_request_id": str(request.id),
                "comment_id": str(comment.id),
                "client_id": str(request.client_id),
                "client_name": client_name,
                "title": request.title,
                "author_kind": comment.author_kind,
                "author_name": comment.author_name,
                "contact_id": str(contact.id) if contact else None,
                "contact_name": contact.name if contact else None,
                "contact_email": contact.email if contact and not contact.archived_at else None,
                "assignee_id": request.assignee_id,
                "account_manager_ids": list(client.account_manager_ids or []) if client else [],
                "attachment_count": len(rows),
            },
        )
    return comment_dict(comment, [attachments.attachment_dict(row) for row in rows])


def attachment_link(
    session: Session, ctx: Context, store: FileStore, request_id: str, attachment_id: str
) -> dict:
    """A team member's download of any file of the request (view_clients)."""
    ctx.require(VIEW_CLIENTS)
    request, _, _ = find_request(session, ctx, request_id)
    row = attachments.find_attachment(session, ctx, request, attachment_id, public_only=False)
    return attachments.download(store, row)


def portal_attachment_link(
    session: Session, ctx: Context, store: FileStore, request_id: str, attachment_id: str
) -> dict:
    """A contact's download of a file of its client's request that is not on a note."""
    portal_only(ctx)
    request, _, _ = find_request(session, ctx, request_id)
    row = attachments.find_attachment(session, ctx, request, attachment_id, public_only=True)
    return attachments.download(store, row)
