"""Contacts (people at a client): create, read, edit every field, move to another client, avatar.

- The e-mail is valid and unique within the agency whatever its case (Conflict otherwise).
- A contact belongs to a client. `create_contact` takes `client_id`, or `new_client` (a name, or a
  dict of client fields) to create the client on the fly (create_clients and the plan limit
  apply; what it needs of identity is asked by the service before the transaction opens, see
  `client_to_add`), or neither when the agency has exactly one client: that one is used.
- `invite=True` sends the portal invitation in the same call (see invitations.py); its e-mail's
  `agency_name` is asked of identity by the service before the transaction opens.
- A new name, e-mail or client reaches the contact's portal login right after the commit
  (portal_access.py, portal_sync.py); a new e-mail that is another portal login's is refused
  first and changes nothing. A new e-mail cancels the contact's pending invitations.
- "Delete" archives (delete_clients): the contact leaves every list, keeps its requests and
  history, and loses its portal access; `restore_contact` brings it back (its client must be
  live). Archived contacts are read-only.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients import billing_contacts, companies, invitations, pictures, portal_access
from clients.common import apply_changes, clean_tags, find_contact, flush_unique
from clients.models import Client, Contact
from kit.context import PORTAL, Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.inputs import clean_text, iso
from kit.outbox import record_event
from kit.permissions import CREATE_CLIENTS, DELETE_CLIENTS, EDIT_CLIENTS, VIEW_CLIENTS
from kit.validation import EMAIL_TAKEN, clean_email


def contact_dict(contact: Contact, client_name: str, has_avatar: bool = False) -> dict:
    return {
        "id": str(contact.id),
        "client_id": str(contact.client_id),
        "client_name": client_name,
        "name": contact.name,
        "email": contact.email,
        "position": contact.position,
        "phone": contact.phone,
        "tags": list(contact.tags or []),
        "has_avatar": has_avatar,
        "portal_status": contact.portal_status,
        "portal_ended": contact.portal_ended_at is not None,
        "archived": contact.archived_at is not None,
        "archived_at": iso(contact.archived_at),
        "created_at": iso(contact.created_at),
        "updated_at": iso(contact.updated_at),
        "last_activity_at": iso(contact.last_activity_at),
    }


def clean_person_name(value: Any) -> str:
    return " ".join(clean_text(value, "name", 200, required=True).split())


def clean_phone(value: Any) -> str:
    phone = clean_text(value, "phone", 50)
    if phone and not re.fullmatch(r"[0-9+().\-\s/x]{3,50}", phone, re.IGNORECASE):
        raise ValidationError(
            "The phone number has unexpected characters.", {"phone": "Enter a valid phone number."}
        )
    return phone


def describe(session: Session, contact: Contact) -> dict:
    client_name = session.scalar(select(Client.name).where(Client.id == contact.client_id))
    has_avatar = pictures.has_picture(session, contact.agency_id, contact.id)
    return contact_dict(contact, client_name, has_avatar)


def client_to_add(client_id: Any, new_client: Any) -> dict | None:
    """The fields of the client a new contact creates on the fly; None when it creates none."""
    if client_id or not new_client:
        return None
    return {"name": new_client} if isinstance(new_client, str) else dict(new_client)


def resolve_client(
    session: Session,
    ctx: Context,
    answers: companies.IdentityAnswers,
    client_id: Any,
    new_client: Any,
) -> Client:
    """The contact's client: given, created on the fly (`answers` as asked for
    `client_to_add`), or the agency's only client."""
    if client_id:
        return companies.find_client(session, ctx.agency, client_id, live_only=True)
    data = client_to_add(client_id, new_client)
    if data is not None:
        return companies.add_client(session, ctx, answers, data)
    only = session.scalars(
        select(Client).where(Client.agency_id == ctx.agency, Client.archived_at.is_(None)).limit(2)
    ).all()
    if len(only) == 1:
        return only[0]
    raise ValidationError("Choose the contact's client.", {"client_id": "Choose a client."})


def _flush_unique_email(session: Session, email: str, new: Contact | None = None) -> None:
    conflict = Conflict(
        f"A contact with the e-mail {email} already exists.", {"email": EMAIL_TAKEN}
    )
    flush_unique(session, conflict, new)


def create_contact(
    session: Session,
    ctx: Context,
    answers: companies.IdentityAnswers,
    name: str,
    email: str,
    client_id: str | None = None,
    new_client: str | dict | None = None,
    position: str | None = None,
    phone: str | None = None,
    tags: list | None = None,
    avatar_base64: str | None = None,
    invite: bool = False,
    invitation_message: str | None = None,
    *,
    per_hour: int = invitations.PER_HOUR,
    agency_name: str | None = None,
) -> dict:
    """A new contact; `answers` are identity's for the client it creates on the fly, if any;
    `invite` sends its portal invitation too (counted against `per_hour`, the service's
    INVITATIONS_PER_HOUR setting; `agency_name` for its e-mail)."""
    ctx.require(CREATE_CLIENTS)
    name, email = clean_person_name(name), clean_email(email)
    position, phone = clean_text(position, "position", 200), clean_phone(phone)
    tags = clean_tags(tags)
    if avatar_base64:
        pictures.decode_image(avatar_base64, "avatar")  # refuse before creating anything
    client = resolve_client(session, ctx, answers, client_id, new_client)
    before = billing_contacts.facts_of(session, [client.id])
    now = utcnow()
    contact = Contact(
        agency_id=ctx.agency,
        client_id=client.id,
        name=name,
        email=email,
        position=position,
        phone=phone,
        tags=tags,
        created_by=ctx.principal_id,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    _flush_unique_email(session, email, new=contact)
    if avatar_base64:
        pictures.store_picture(session, ctx.agency, "contact", contact.id, avatar_base64)
    record_event(session, ctx, "contact_created", created_payload(contact, client.name, "app"))
    billing_contacts.announce_changes(session, ctx, before)
    result = contact_dict(contact, client.name, bool(avatar_base64))
    if invite:
        result["invitation"] = invitations.invite(
            session, ctx, contact, invitation_message, per_hour, agency_name
        )
        result["portal_status"] = contact.portal_status
    return result


def created_payload(contact: Contact, client_name: str, source: str) -> dict:
    return {
        "contact_id": str(contact.id),
        "client_id": str(contact.client_id),
        "client_name": client_name,
        "name": contact.name,
        "email": contact.email,
        "source": source,
    }


def get_contact(session: Session, ctx: Context, contact_id: str) -> dict:
    ctx.require(VIEW_CLIENTS)
    return describe(session, find_contact(session, ctx.agency, contact_id))


def update_contact(session: Session, ctx: Context, contact_id: str, **changes: Any) -> dict:
    """Change name, email, position, phone, tags, client_id (move), avatar_base64 (None removes).
    The portal login follows a new name or e-mail."""
    ctx.require(EDIT_CLIENTS)
    contact = find_contact(session, ctx.agency, contact_id)
    if contact.archived_at is not None:
        raise Conflict("This contact is archived; restore it before editing.")
    old_client_id = contact.client_id
    # Whom billing mails may change at the client it leaves and the one it joins.
    before = billing_contacts.facts_of(session, [old_client_id, *_client_ids(changes)])
    cleaners = {
        "name": clean_person_name,
        "email": clean_email,
        "position": lambda v: clean_text(v, "position", 200),
        "phone": clean_phone,
        "tags": clean_tags,
        "client_id": lambda v: companies.find_client(session, ctx.agency, v, live_only=True).id,
    }
    # A cleaner's query must not flush a half-changed row: a taken e-mail would surface as an
    # IntegrityError from autoflush instead of the Conflict below.
    with session.no_autoflush:
        changed = apply_changes(contact, changes, cleaners, extra=["avatar_base64"])
    if "email" in changed:
        _flush_unique_email(session, contact.email)
    if "avatar_base64" in changes:
        pictures.replace_picture(
            session, ctx.agency, "contact", contact.id, changes["avatar_base64"]
        )
        changed.append("avatar")
    if changed:
        contact.updated_at = contact.last_activity_at = utcnow()
        portal_access.follow_contact(session, contact, changed)
        payload = {
            "contact_id": str(contact.id),
            "client_id": str(contact.client_id),
            "name": contact.name,
            "email": contact.email,
            "changed": changed,
        }
        if "client_id" in changed:
            payload["previous_client_id"] = str(old_client_id)
        record_event(session, ctx, "contact_updated", payload)
        billing_contacts.announce_changes(session, ctx, before)
    return describe(session, contact)


def _client_ids(changes: dict) -> list[uuid.UUID]:
    """The client a contact is being moved to, when `changes` names a well-formed one."""
    try:
        return [uuid.UUID(str(changes["client_id"]))] if changes.get("client_id") else []
    except ValueError:
        return []


def _archive_payload(contact: Contact) -> dict:
    return {
        "contact_id": str(contact.id),
        "client_id": str(contact.client_id),
        "name": contact.name,
        "email": contact.email,
    }


def archive_contact(session: Session, ctx: Context, contact_id: str) -> dict:
    """ "Delete": the contact leaves every list and the portal, its history stays. Idempotent."""
    ctx.require(DELETE_CLIENTS)
    contact = find_contact(session, ctx.agency, contact_id)
    if contact.archived_at is None:
        before = billing_contacts.facts_of(session, [contact.client_id])
        contact.archived_at = contact.updated_at = utcnow()
        portal_access.close_for_contact(session, contact)
        record_event(session, ctx, "contact_archived", _archive_payload(contact))
        billing_contacts.announce_changes(session, ctx, before)
    return describe(session, contact)


def restore_contact(session: Session, ctx: Context, contact_id: str) -> dict:
    """Bring an archived contact back (to a live client); invite it again for portal access."""
    ctx.require(DELETE_CLIENTS)
    contact = find_contact(session, ctx.agency, contact_id)
    if contact.archived_at is not None:
        client = companies.find_client(session, ctx.agency, contact.client_id)
        if client.archived_at is not None:
            raise Conflict(
                f"{client.name} is archived; restore the client first.",
                {"client_id": "Restore this client first."},
            )
        before = billing_contacts.facts_of(session, [contact.client_id])
        contact.archived_at = None
        contact.updated_at = utcnow()
        record_event(session, ctx, "contact_restored", _archive_payload(contact))
        billing_contacts.announce_changes(session, ctx, before)
    return describe(session, contact)


def get_avatar(session: Session, ctx: Context, contact_id: str) -> dict:
    """A team member with view_clients, or a portal contact of the same client."""
    if ctx.kind == PORTAL:
        portal_access.portal_contact(session, ctx)
    else:
        ctx.require(VIEW_CLIENTS)
    contact = find_contact(session, ctx.agency, contact_id)
    if ctx.kind == PORTAL and str(contact.client_id) != str(ctx.client_id):
        raise NotFound("No such contact.")
    return pictures.read_picture(session, ctx.agency, contact.id, "contact")
