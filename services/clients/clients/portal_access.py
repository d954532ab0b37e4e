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

Identity is called inside the caller's transaction, after our checks and before the commit: an
error from identity (a Conflict over an e-mail another portal login has, a timeout) rolls the
clients change back too, so the two never disagree about a committed change.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterable

from sqlalchemy import Select, select, update
from sqlalchemy.orm import Session

from clients.common import Identity, portal_only
from clients.models import Contact, Invitation
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PermissionDenied

FOLLOWED = ("name", "email", "client_id")
EMAIL_TAKEN = (
    "This e-mail address cannot be given portal access; ask the contact for another address."
)
ACCESS_CHANGED = "Your portal access has changed; please sign in again."


def email_taken(message: str = EMAIL_TAKEN) -> Conflict:
    """Identity's Conflict over an e-mail another portal login has, told without saying where."""
    return Conflict(message, {"email": "cannot be given portal access"})


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


def follow_contact(
    session: Session, identity: Identity, ctx: Context, contact: Contact, changed: list[str]
) -> None:
    """The contact's portal login takes its new name, e-mail and client; a new e-mail cancels
    the invitations sent to the old one."""
    if "email" in changed:
        cancel_pending(session, [contact.id])
        if contact.portal_status == "invited":
            contact.portal_status = "none"
    followed = {key: str(getattr(contact, key)) for key in FOLLOWED if key in changed}
    if contact.portal_status != "active" or not followed:
        return
    try:
        identity.update_portal_login(ctx.to_dict(), str(contact.id), **followed)
    except NotFound:  # no login after all: nothing to keep in step
        pass
    except Conflict as exc:
        if "email" in (exc.fields or {}):
            raise email_taken() from None
        raise


def close_for_contact(session: Session, identity: Identity, ctx: Context, contact: Contact) -> None:
    """The contact can no longer get into the portal (it was archived)."""
    cancel_pending(session, [contact.id])
    if contact.portal_status == "active":
        # identity lets only the platform itself disable one login
        system = Context.system(ctx.agency_id, ctx.request_id)
        with contextlib.suppress(NotFound):
            identity.disable_portal_login(system.to_dict(), str(contact.id))
    contact.portal_status = "none"


def close_for_client(
    session: Session, identity: Identity, ctx: Context, client_id: uuid.UUID
) -> None:
    """No contact of the client can get into the portal any more (the client was archived)."""
    of_client = (Contact.agency_id == ctx.agency, Contact.client_id == client_id)
    cancel_pending(session, select(Contact.id).where(*of_client))
    session.execute(
        update(Contact)
        .where(*of_client, Contact.portal_status != "none")
        .values(portal_status="none")
    )
    identity.disable_portal_logins_for_client(ctx.to_dict(), str(client_id))
