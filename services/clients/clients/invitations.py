"""Client portal invitations: send, resend, cancel, list; look up and accept by token.

- An invitation carries a random token; only its SHA-256 is stored. The raw token leaves the
  service once, in the `contact_invited` event, for notifications to put in the e-mail's link.
- It expires after INVITATION_DAYS. Inviting a contact again, or resending, replaces the token:
  the old link stops working. Cancelling stops the link too, and so does a new e-mail address
  for the contact (portal_access.py).
- It remembers the address it was sent to, and is accepted only while that is still the
  contact's: otherwise an agency could invite an address it controls, switch the contact's
  e-mail to somebody else's and accept, taking that address's portal login (unique across
  agencies) away from its owner.
- An agency sends at most `per_hour` invitation e-mails (first sends and resends) in any hour
  (the service's INVITATIONS_PER_HOUR): the e-mails carry the agency's free text to any address.
- `get_invitation` and accepting (portal_sync.accept_invitation) are called without a login (ctx
  without agency): the token is the authority. Accepting checks the link (`claim_invitation`),
  asks identity to create the portal login (`create_portal_login`, system context carrying the
  invitation's agency, outside any transaction), which comes signed in, then marks the
  invitation accepted and the contact's `portal_status` "active" (`complete_invitation`); the
  new session goes back to the gateway, so no second (throttled) password login can fail after
  the invitation is used.
- Team methods need `manage_client_organizations` (send, resend, cancel: portal access, as
  AgencyPro's guide puts it) or `view_clients` (list).
- Archived contacts, and contacts of archived clients, cannot be invited (portal_access.py
  cancels their pending invitations when they are archived).
- The e-mail names the agency: the service asks identity for the name (`ask_agency_name`) before
  the invitation's transaction opens, never inside it, and hands it to the functions here.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from clients.common import Identity, find_contact
from clients.companies import find_client
from clients.models import Client, Contact, Invitation, InvitationSend, PortalSync
from clients.portal_access import cancel_pending, mark_due
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, DomainError, NotFound, RateLimited, ValidationError
from kit.ids import hash_token, parse_id
from kit.inputs import clean_text, iso, one_of
from kit.outbox import record_event
from kit.paging import page_of
from kit.permissions import MANAGE_CLIENT_ORGANIZATIONS, VIEW_CLIENTS
from kit.vocabulary import INVITATION_STATUSES

log = logging.getLogger(__name__)

INVITATION_DAYS = 7
PER_HOUR = 100  # invitation e-mails an agency may send in an hour (INVITATIONS_PER_HOUR)
SEND_WINDOW = timedelta(hours=1)


def status_of(invitation: Invitation) -> str:
    if invitation.status == "pending" and invitation.expires_at <= utcnow():
        return "expired"
    return invitation.status


def invitation_dict(invitation: Invitation, contact: Contact, client_name: str) -> dict:
    return {
        "id": str(invitation.id),
        "contact_id": str(contact.id),
        "contact_name": contact.name,
        "email": invitation.email,
        "client_id": str(contact.client_id),
        "client_name": client_name,
        "status": status_of(invitation),
        "message": invitation.message,
        "invited_by": invitation.invited_by,
        "created_at": iso(invitation.created_at),
        "sent_at": iso(invitation.sent_at),
        "expires_at": iso(invitation.expires_at),
        "accepted_at": iso(invitation.accepted_at),
        "cancelled_at": iso(invitation.cancelled_at),
    }


def ask_agency_name(identity: Identity, ctx: Context) -> str | None:
    """The caller's agency's name for the invitation e-mail, asked with no transaction open.
    Nice to have: an invitation is not refused because identity is slow or away (None; the
    e-mail then says "Your agency")."""
    try:
        return identity.get_agency(ctx.to_dict()).get("name")
    except DomainError as exc:
        log.warning("agency name unavailable for the invitation e-mail: %s", exc.message)
        return None


def count_send(session: Session, ctx: Context, invitation_id: uuid.UUID, per_hour: int) -> None:
    """Count one invitation e-mail against the agency's hourly limit, or RateLimited past it."""
    # one sender at a time per agency, so concurrent invitations cannot both take the last one
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"invites:{ctx.agency}"))))
    now = utcnow()
    of_agency = InvitationSend.agency_id == ctx.agency
    session.execute(
        delete(InvitationSend).where(of_agency, InvitationSend.sent_at <= now - SEND_WINDOW)
    )
    oldest, sent = session.execute(
        select(func.min(InvitationSend.sent_at), func.count()).where(of_agency)
    ).one()
    if sent >= per_hour:
        retry_after = max(int((oldest + SEND_WINDOW - now).total_seconds()) + 1, 1)
        minutes = -(-retry_after // 60)
        raise RateLimited(
            f"Your agency has sent {per_hour} invitations in the last hour, the most allowed. "
            f"Please wait {minutes} minute{'s' if minutes != 1 else ''} and try again.",
            {"retry_after": retry_after},
        )
    session.add(InvitationSend(agency_id=ctx.agency, invitation_id=invitation_id, sent_at=now))


def _send(
    session: Session,
    ctx: Context,
    invitation: Invitation,
    contact: Contact,
    client: Client,
    resent: bool,
    per_hour: int,
    agency_name: str | None,
) -> None:
    """Give the invitation a fresh token and expiry (for the contact's current address) and
    record the e-mail's event (`agency_name`: `ask_agency_name`'s answer)."""
    count_send(session, ctx, invitation.id, per_hour)
    token = secrets.token_urlsafe(32)
    now = utcnow()
    invitation.email = contact.email
    invitation.token_hash = hash_token(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(days=INVITATION_DAYS)
    contact.portal_status = "invited"
    contact.portal_ended_at = None
    record_event(
        session,
        ctx,
        "contact_invited",
        {
            "invitation_id": str(invitation.id),
            "contact_id": str(contact.id),
            "contact_name": contact.name,
            "email": contact.email,
            "client_id": str(client.id),
            "client_name": client.name,
            "agency_name": agency_name,
            "invitation_token": token,
            "message": invitation.message,
            "expires_at": iso(invitation.expires_at),
            "invited_by": ctx.principal_id,
            "resent": resent,
        },
    )


def _client_of(session: Session, contact: Contact) -> Client:
    return session.get(Client, contact.client_id)


def invite(
    session: Session,
    ctx: Context,
    contact: Contact,
    message: Any = None,
    per_hour: int = PER_HOUR,
    agency_name: str | None = None,
) -> dict:
    """Invite `contact` (already checked to be the caller's); a pending invitation is replaced."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    message = clean_text(message, "message", 2000)
    client = _client_of(session, contact)
    _refuse_archived(contact, client)
    if contact.portal_status == "active":
        raise Conflict(f"{contact.name} can already log into the client portal.")
    cancel_pending(session, [contact.id])
    invitation = Invitation(
        id=uuid.uuid4(),
        agency_id=ctx.agency,
        contact_id=contact.id,
        message=message,
        invited_by=ctx.principal_id,
        created_at=utcnow(),
    )
    _send(
        session,
        ctx,
        invitation,
        contact,
        client,
        resent=False,
        per_hour=per_hour,
        agency_name=agency_name,
    )
    session.add(invitation)
    session.flush()
    return invitation_dict(invitation, contact, client.name)


def _refuse_archived(contact: Contact, client: Client) -> None:
    if client.archived_at is not None:
        raise Conflict("This contact's client is archived.")
    if contact.archived_at is not None:
        raise Conflict("This contact is archived.")


def invite_contact(
    session: Session,
    ctx: Context,
    contact_id: str,
    message: Any = None,
    per_hour: int = PER_HOUR,
    agency_name: str | None = None,
) -> dict:
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    contact = find_contact(session, ctx.agency, contact_id)
    return invite(session, ctx, contact, message, per_hour, agency_name)


def reinvite_client_contacts(
    session: Session,
    ctx: Context,
    client_id: str,
    per_hour: int = PER_HOUR,
    agency_name: str | None = None,
) -> list[dict]:
    """Invite again every live contact of the client whose portal access ended when the client
    was archived (after a restore); the invitations sent."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    client = find_client(session, ctx.agency, client_id)
    contacts = session.scalars(
        select(Contact)
        .where(
            Contact.agency_id == ctx.agency,
            Contact.client_id == client.id,
            Contact.archived_at.is_(None),
            Contact.portal_ended_at.is_not(None),
        )
        .order_by(Contact.name)
    ).all()
    return [invite(session, ctx, contact, None, per_hour, agency_name) for contact in contacts]


def _find(session: Session, ctx: Context, invitation_id: Any) -> Invitation:
    invitation = session.scalar(
        select(Invitation)
        .where(
            Invitation.agency_id == ctx.agency,
            Invitation.id == parse_id(invitation_id, "invitation"),
        )
        .with_for_update()
    )
    if invitation is None:
        raise NotFound("No such invitation.")
    return invitation


def resend_invitation(
    session: Session,
    ctx: Context,
    invitation_id: str,
    per_hour: int = PER_HOUR,
    agency_name: str | None = None,
) -> dict:
    """A new link (and 7 more days) for a pending or expired invitation; the old link dies."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    invitation = _find(session, ctx, invitation_id)
    if invitation.status != "pending":
        raise Conflict(f"This invitation is {invitation.status}; only pending ones are resent.")
    contact = session.get(Contact, invitation.contact_id)
    client = _client_of(session, contact)
    _refuse_archived(contact, client)
    _send(
        session,
        ctx,
        invitation,
        contact,
        client,
        resent=True,
        per_hour=per_hour,
        agency_name=agency_name,
    )
    return invitation_dict(invitation, contact, client.name)


def _cancel(session: Session, invitation: Invitation, contact: Contact) -> dict:
    if invitation.status == "pending":
        invitation.status, invitation.cancelled_at = "cancelled", utcnow()
        if contact.portal_status == "invited":
            contact.portal_status = "none"
    elif invitation.status == "accepted":
        raise Conflict("This invitation was accepted already.")
    return invitation_dict(invitation, contact, _client_of(session, contact).name)


def cancel_invitation(session: Session, ctx: Context, invitation_id: str) -> dict:
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    invitation = _find(session, ctx, invitation_id)
    return _cancel(session, invitation, session.get(Contact, invitation.contact_id))


def cancel_contact_invitation(session: Session, ctx: Context, contact_id: str) -> dict:
    """Cancel the contact's pending (or expired) invitation; NotFound when it has none."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    contact = find_contact(session, ctx.agency, contact_id)
    invitation = session.scalar(
        select(Invitation)
        .where(
            Invitation.agency_id == ctx.agency,
            Invitation.contact_id == contact.id,
            Invitation.status == "pending",
        )
        .order_by(Invitation.sent_at.desc())
        .limit(1)
        .with_for_update()
    )
    if invitation is None:
        raise NotFound("This contact has no pending invitation.")
    return _cancel(session, invitation, contact)


def list_invitations(
    session: Session,
    ctx: Context,
    status: str | None = "pending",
    contact_id: str | None = None,
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    """The Team Invitations page: `pending` (still valid), `expired`, `accepted`, `cancelled`,
    or None for all; of one contact if `contact_id`; newest first, a page at a time."""
    ctx.require(VIEW_CLIENTS)
    one_of(status, (None, *INVITATION_STATUSES))
    query = (
        select(Invitation, Contact, Client.name)
        .join(Contact, Contact.id == Invitation.contact_id)
        .join(Client, Client.id == Contact.client_id)
        .where(Invitation.agency_id == ctx.agency)
        .order_by(Invitation.sent_at.desc(), Invitation.id)
    )
    if contact_id:
        # another agency's contact is not found, as everywhere, rather than an empty list
        query = query.where(
            Invitation.contact_id == find_contact(session, ctx.agency, contact_id).id
        )
    now = utcnow()
    if status == "pending":
        query = query.where(Invitation.status == "pending", Invitation.expires_at > now)
    elif status == "expired":
        query = query.where(Invitation.status == "pending", Invitation.expires_at <= now)
    elif status:
        query = query.where(Invitation.status == status)
    return page_of(
        session,
        query,
        page,
        per_page,
        lambda rows: [invitation_dict(i, c, name) for i, c, name in rows],
    )


def _valid(session: Session, token: Any, lock: bool = False) -> Invitation:
    if not isinstance(token, str) or not token:
        raise NotFound("This invitation link is not valid.")
    query = select(Invitation).where(Invitation.token_hash == hash_token(token))
    invitation = session.scalar(query.with_for_update() if lock else query)
    if invitation is None or invitation.status != "pending":
        raise NotFound("This invitation link is not valid any more.")
    if invitation.expires_at <= utcnow():
        raise ValidationError(
            "This invitation link has expired; ask the agency to send a new one.",
            {"token": "expired"},
        )
    return invitation


def get_invitation(session: Session, ctx: Context, token: str) -> dict:
    """What the set-password page shows; no login needed, the token is the key."""
    invitation = _valid(session, token)
    contact = session.get(Contact, invitation.contact_id)
    if not _still_addressed(invitation, contact):
        raise NotFound("This invitation link is not valid any more.")
    client = _client_of(session, contact)
    return {
        "invitation_id": str(invitation.id),
        "agency_id": str(invitation.agency_id),
        "contact_id": str(contact.id),
        "contact_name": contact.name,
        "email": invitation.email,
        "client_id": str(client.id),
        "client_name": client.name,
        "message": invitation.message,
        "expires_at": iso(invitation.expires_at),
    }


def _still_addressed(invitation: Invitation, contact: Contact) -> bool:
    """The link went to the contact's present e-mail address."""
    return bool(invitation.email) and invitation.email.lower() == contact.email.lower()


def claim_invitation(session: Session, ctx: Context, token: str) -> dict:
    """Check an invitation link before its login is created, and mark the contact due (see
    portal_sync.accept_invitation): what identity needs, and the due change's `version`."""
    invitation = _valid(session, token, lock=True)
    contact = session.get(Contact, invitation.contact_id)
    client = _client_of(session, contact)
    if client.archived_at is not None or contact.archived_at is not None:
        raise NotFound("This invitation link is not valid any more.")
    if not _still_addressed(invitation, contact):
        raise NotFound("This invitation link is not valid any more.")
    mark_due(session, invitation.agency_id, [contact.id])
    version = session.scalar(select(PortalSync.version).where(PortalSync.contact_id == contact.id))
    return {
        "invitation_id": invitation.id,
        "agency_id": str(invitation.agency_id),
        "contact_id": str(contact.id),
        "client_id": str(client.id),
        "email": contact.email,
        "name": contact.name,
        "version": version,
    }


def complete_invitation(session: Session, ctx: Context, invitation_id: uuid.UUID) -> dict:
    """The invitation accepted and the contact's portal access active, once identity created
    its login; accepting the same invitation twice at once is no error."""
    invitation = session.get(Invitation, invitation_id, with_for_update=True)
    contact = session.get(Contact, invitation.contact_id)
    if invitation.status == "pending" and _still_addressed(invitation, contact):
        invitation.status, invitation.accepted_at = "accepted", utcnow()
        contact.portal_status = "active"
        record_event(
            session,
            ctx,
            "contact_portal_activated",
            {
                "contact_id": str(contact.id),
                "client_id": str(contact.client_id),
                "email": contact.email,
            },
        )
    elif invitation.status != "accepted":
        raise NotFound("This invitation link is not valid any more.")
    return {
        "contact_id": str(contact.id),
        "client_id": str(contact.client_id),
        "agency_id": str(invitation.agency_id),
        "email": contact.email,
    }
