"""A contact's way into the client portal, kept in step with the contact: pending invitations
(ours) and the portal login (identity's).

- A contact whose name, e-mail or client changes while it has a login (`portal_status` "active")
  has its login follow (identity's `update_portal_login`; no login there is nothing to do). A
  move to another client ends the login's sessions: none keeps reaching the old client.
- A contact whose e-mail changes loses its pending invitations: the link went to the old
  address, and accepting it would give the new address (perhaps somebody else's) a login.
- An archived contact, or every contact of an archived client, loses its access: pending
  invitations are cancelled, the login is disabled (its sessions end) and `portal_status` goes
  back to "none"; a new invitation brings the access back.
- A portal call is answered only while the caller's contact is still a live contact of the
  client in its context (`portal_contact`): identity ends the sessions of a moved or disabled
  login, and this check is the second line should one survive.
- An e-mail address that is some other contact's portal login (here or at another agency) is
  refused with a message that says no more than that (`EMAIL_TAKEN`).

Identity is never called from here, inside a transaction: a change the login must follow marks
the contact due (`mark_due`, a `portal_syncs` row written with the change), and portal_sync.py
brings identity in line after the commit (see docs/contracts.md, "Calls to other systems").
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clients.common import find_contact, portal_only
from clients.models import Contact, Invitation, PortalSync
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, PermissionDenied
from kit.permissions import EDIT_CLIENTS
from kit.validation import clean_email

FOLLOWED = ("name", "email", "client_id")
EMAIL_TAKEN = (
    "This e-mail address cannot be given portal access; ask the contact for another address."
)
ACCESS_CHANGED = "Your portal access has changed; please sign in again."
GRACE = timedelta(minutes=1)  # longer than a request's calls to identity (RPC_TIMEOUT)


def email_taken(message: str = EMAIL_TAKEN) -> Conflict:
    """Identity's Conflict over an e-mail another portal login has, told without saying where."""
    return Conflict(message, {"email": "This e-mail address cannot be given portal access."})


def portal_contact(session: Session, ctx: Context) -> Contact:
    """The portal caller's contact: it must exist in the caller's agency, not be archived and
    belong to the client in the context; otherwise PermissionDenied (sign in again)."""
    client_id = portal_only(ctx)
    try:
        contact_id = uuid.UUID(str(ctx.contact_id))
    except (TypeError, ValueError):
        raise PermissionDenied(ACCESS_CHANGED) from None
    contact = session.scalar(
        select(Contact).where(Contact.agency_id == ctx.agency, Contact.id == contact_id)
    )
    if contact is None or contact.archived_at is not None or contact.client_id != client_id:
        raise PermissionDenied(ACCESS_CHANGED)
    return contact


def cancel_pending(session: Session, contact_ids: Select | Iterable[uuid.UUID]) -> None:
    """The contacts' pending invitations stop working."""
    session.execute(
        update(Invitation)
        .where(Invitation.contact_id.in_(contact_ids), Invitation.status == "pending")
        .values(status="cancelled", cancelled_at=utcnow())
    )


def mark_due(session: Session, agency: uuid.UUID, contact_ids: Iterable[uuid.UUID]) -> None:
    """Identity owes these contacts' logins a change: record it in the caller's transaction.
    A pending push gets a newer version, so it knows its state may be stale. The reconciler
    leaves a row alone for GRACE: the request that wrote it pushes it itself."""
    rows = [
        {
            "contact_id": contact_id,
            "agency_id": agency,
            "version": 1,
            "due_at": utcnow() + GRACE,
            "attempts": 0,
        }
        for contact_id in contact_ids
    ]
    if not rows:
        return
    statement = insert(PortalSync).values(rows)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[PortalSync.contact_id],
            set_={
                "version": PortalSync.version + 1,
                "due_at": statement.excluded.due_at,
                "attempts": 0,
                "last_error": None,
            },
        )
    )


def follow_contact(session: Session, contact: Contact, changed: list[str]) -> None:
    """The contact's portal login is to take its new name, e-mail and client; a new e-mail
    cancels the invitations sent to the old one."""
    if "email" in changed:
        cancel_pending(session, [contact.id])
        if contact.portal_status == "invited":
            contact.portal_status = "none"
    if contact.portal_status == "active" and any(key in changed for key in FOLLOWED):
        mark_due(session, contact.agency_id, [contact.id])


def close_for_contact(session: Session, contact: Contact) -> None:
    """The contact can no longer get into the portal (it was archived)."""
    cancel_pending(session, [contact.id])
    if contact.portal_status == "active":
        mark_due(session, contact.agency_id, [contact.id])
    contact.portal_status = "none"


def close_for_client(session: Session, ctx: Context, client_id: uuid.UUID) -> None:
    """No contact of the client can get into the portal any more (the client was archived)."""
    of_client = (Contact.agency_id == ctx.agency, Contact.client_id == client_id)
    cancel_pending(session, select(Contact.id).where(*of_client))
    active = session.scalars(
        select(Contact.id).where(*of_client, Contact.portal_status == "active")
    ).all()
    mark_due(session, ctx.agency, active)
    session.execute(
        update(Contact)
        .where(*of_client, Contact.portal_status != "none")
        .values(portal_status="none")
    )


def login_email_change(session: Session, ctx: Context, contact_id: str, email: Any) -> str | None:
    """The address a contact's portal login would change to, if the contact has a login and
    the address is new to it; None otherwise (nothing for identity to check)."""
    ctx.require(EDIT_CLIENTS)
    contact = find_contact(session, ctx.agency, contact_id)
    if contact.portal_status != "active" or contact.archived_at is not None:
        return None
    new = clean_email(email)
    return new if new.lower() != contact.email.lower() else None
