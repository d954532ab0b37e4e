"""Clients (the agency's client companies): create, read, edit, status, archive, restore, logo.

- A name has at least 2 characters and is unique (whatever its case) among the agency's
  non-archived clients.
- Status is `active` or `inactive`; switching it keeps everything. "Delete" archives: the client
  leaves every list (and its name is free again) but its contacts, requests and vault stay, and
  `get_client` still answers for it (`"archived": true`). `restore_client` brings it back.
- Creating (or restoring) a client beyond the plan's `client_limit` (identity's
  `get_entitlements`) raises LimitExceeded; non-archived clients count. An advisory lock per agency
  makes the count and the insert one step.
- Account managers are identity user ids, checked with identity's `users_by_ids`.
- Identity is asked (`ask_identity`) by the service before the change's transaction opens, never
  inside it (docs/contracts.md, "Calls to other systems"); the change gets the answers as values
  (`IdentityAnswers`). The limit is compared with the count taken under the lock, so two creations
  at once still cannot pass it.
- Archiving a client closes its contacts' way into the portal (portal_access.py): pending
  invitations are cancelled and their portal logins disabled.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clients import billing_contacts, pictures, portal_access
from clients import fields as custom_fields
from clients.common import Identity, apply_changes, clean_tags, flush_unique, lock_client_count
from clients.models import Client, Contact
from clients.status_history import record_change
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, LimitExceeded, NotFound, ValidationError
from kit.ids import parse_field_id, parse_id
from kit.inputs import clean_text, iso, one_of
from kit.permissions import CREATE_CLIENTS, DELETE_CLIENTS, EDIT_CLIENTS, VIEW_CLIENTS
from kit.vocabulary import CLIENT_STATUSES


def client_dict(
    client: Client,
    contact_count: int = 0,
    has_logo: bool = False,
    billing_contact: dict | None = None,
) -> dict:
    return {
        "id": str(client.id),
        "name": client.name,
        "description": client.description,
        "website": client.website,
        "address": client.address,
        "tags": list(client.tags or []),
        "custom_fields": dict(client.custom_fields or {}),
        "account_manager_ids": list(client.account_manager_ids or []),
        "status": client.status,
        "archived": client.archived_at is not None,
        "archived_at": iso(client.archived_at),
        "has_logo": has_logo,
        "contact_count": contact_count,
        "billing_contact": billing_contact,
        "created_at": iso(client.created_at),
        "updated_at": iso(client.updated_at),
        "last_activity_at": iso(client.last_activity_at),
    }


def clean_name(value: Any) -> str:
    name = " ".join(clean_text(value, "name", 200, required=True).split())
    if len(name) < 2:
        raise ValidationError(
            "A client's name has at least 2 characters.", {"name": "Use at least 2 characters."}
        )
    return name


def clean_website(value: Any, field: str = "website") -> str:
    """A web address (`https://` added when no scheme is given); '' for none."""
    website = clean_text(value, field, 500)
    if not website:
        return ""
    if not re.match(r"^[a-z][a-z0-9+.-]*://", website, re.IGNORECASE):
        website = f"https://{website}"
    try:
        parsed = urlparse(website)
        host = parsed.hostname or ""
    except ValueError:  # e.g. "http://[": urlparse refuses a broken IPv6 host
        host, parsed = "", None
    if (
        parsed is None
        or parsed.scheme not in ("http", "https")
        or ("." not in host and host != "localhost")
    ):
        raise ValidationError(
            f"The {field} must be an address like https://example.com.",
            {field: "Enter an address like https://example.com."},
        )
    return website


def find_client(
    session: Session, agency: uuid.UUID, client_id: Any, live_only: bool = False
) -> Client:
    """The agency's client by id, or NotFound (another agency's id is simply not found)."""
    query = select(Client).where(
        Client.agency_id == agency, Client.id == parse_id(client_id, "client")
    )
    if live_only:
        query = query.where(Client.archived_at.is_(None))
    client = session.scalar(query)
    if client is None:
        raise NotFound("No such client.")
    return client


@dataclass(frozen=True)
class IdentityAnswers:
    """What identity answered for a change of clients (`ask_identity`): the plan's client limit
    (None: no limit, or no client added) and which of the account managers named are users of
    the team."""

    client_limit: int | None = None
    team_members: frozenset[str] = frozenset()


def ask_identity(
    identity: Identity, ctx: Context, *, adding: bool, account_manager_ids: Any = None
) -> IdentityAnswers:
    """Ask identity, before the change's transaction opens, what the change needs and only that:
    the plan's client limit when it adds (or restores) a client, the account managers it names."""
    wanted = account_manager_list(account_manager_ids)
    limit = identity.get_entitlements(ctx.to_dict()).get("client_limit") if adding else None
    members = identity.users_by_ids(ctx.to_dict(), wanted) if wanted else []
    return IdentityAnswers(limit, frozenset(str(u["id"]) for u in members))


def live_client_count(session: Session, agency: uuid.UUID) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Client)
        .where(Client.agency_id == agency, Client.archived_at.is_(None))
    )


def limit_message(limit: int) -> str:
    return f"Your plan allows {limit} clients; archive a client or upgrade your plan to add more."


def check_plan_limit(session: Session, ctx: Context, limit: int | None) -> None:
    """Raise LimitExceeded if one more client would pass the plan's `limit` (asked before the
    transaction; the count is taken under the agency's lock, held until the commit)."""
    lock_client_count(session, ctx.agency)
    if limit is not None and live_client_count(session, ctx.agency) >= limit:
        raise LimitExceeded(limit_message(limit), {"client_limit": limit})


def account_manager_list(value: Any) -> list[str]:
    """The account managers named, as a list of user ids without repeats."""
    if not value:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        raise ValidationError(
            "account_manager_ids must be a list of user ids.",
            {"account_manager_ids": "Choose members of your team."},
        )
    return list(dict.fromkeys(value))


def clean_account_managers(answers: IdentityAnswers, value: Any) -> list[str]:
    wanted = account_manager_list(value)
    unknown = [v for v in wanted if v not in answers.team_members]
    if unknown:
        raise ValidationError(
            "Account managers must be users of your team.",
            {"account_manager_ids": f"unknown users: {', '.join(unknown)}"},
        )
    return wanted


def _flush_unique_name(session: Session, name: str, new: Client | None = None) -> None:
    conflict = Conflict(
        f"A client named {name!r} already exists.", {"name": "This name is already used."}
    )
    flush_unique(session, conflict, new)


def add_client(session: Session, ctx: Context, answers: IdentityAnswers, data: dict) -> Client:
    """Insert a client after every check (used by create_client and quick creation)."""
    ctx.require(CREATE_CLIENTS)
    name = clean_name(data.get("name"))
    status = one_of(data.get("status") or "active", CLIENT_STATUSES)
    now = utcnow()
    client = Client(
        agency_id=ctx.agency,
        name=name,
        description=clean_text(data.get("description"), "description", 5000),
        website=clean_website(data.get("website")),
        address=clean_text(data.get("address"), "address", 1000),
        tags=clean_tags(data.get("tags")),
        custom_fields=custom_fields.clean_values(
            session, ctx.agency, data.get("custom_fields"), creating=True
        ),
        account_manager_ids=clean_account_managers(answers, data.get("account_manager_ids")),
        status=status,
        created_by=ctx.principal_id,
        created_at=now,
        updated_at=now,
        last_activity_at=now,
    )
    check_plan_limit(session, ctx, answers.client_limit)
    _flush_unique_name(session, name, new=client)
    if data.get("logo_base64"):
        pictures.store_picture(session, ctx.agency, "client", client.id, data["logo_base64"])
    record_change(session, ctx, "client_created", created_payload(client, source="app"))
    return client


def created_payload(client: Client, source: str) -> dict:
    return {
        "client_id": str(client.id),
        "name": client.name,
        "status": client.status,
        "tags": list(client.tags or []),
        "account_manager_ids": list(client.account_manager_ids or []),
        "created_by": client.created_by,
        "source": source,
    }


def create_client(session: Session, ctx: Context, answers: IdentityAnswers, **data: Any) -> dict:
    client = add_client(session, ctx, answers, data)
    return client_dict(client, 0, bool(data.get("logo_base64")))


def describe(session: Session, client: Client) -> dict:
    # the database's count (migration 0042_lists_contact_counts) as stored now
    count = session.scalar(select(Client.contact_count).where(Client.id == client.id))
    contact = billing_contacts.billing_contacts(session, [client])[client.id]
    has_logo = pictures.has_picture(session, client.agency_id, client.id)
    return client_dict(client, count, has_logo, contact)


def get_client(session: Session, ctx: Context, client_id: str) -> dict:
    ctx.require(VIEW_CLIENTS)
    return describe(session, find_client(session, ctx.agency, client_id))


def update_client(
    session: Session, ctx: Context, answers: IdentityAnswers, client_id: str, **changes: Any
) -> dict:
    """Change any of name, description, website, address, tags, custom_fields,
    account_manager_ids, logo_base64 (None removes the logo). Archived clients are read-only."""
    ctx.require(EDIT_CLIENTS)
    client = find_client(session, ctx.agency, client_id)
    if client.archived_at is not None:
        raise Conflict("This client is archived; restore it before editing.")
    cleaners = {
        "name": clean_name,
        "description": lambda v: clean_text(v, "description", 5000),
        "website": clean_website,
        "address": lambda v: clean_text(v, "address", 1000),
        "tags": clean_tags,
        "custom_fields": lambda v: custom_fields.clean_values(
            session, ctx.agency, v, client.custom_fields
        ),
        "account_manager_ids": lambda v: clean_account_managers(answers, v),
    }
    # A cleaner's query must not flush a half-changed row: a taken name would surface as an
    # IntegrityError from autoflush instead of the Conflict below.
    with session.no_autoflush:
        changed = apply_changes(client, changes, cleaners, extra=["logo_base64"])
    if "name" in changed:
        _flush_unique_name(session, client.name)
    if "logo_base64" in changes:
        pictures.replace_picture(session, ctx.agency, "client", client.id, changes["logo_base64"])
        changed.append("logo")
    if changed:
        client.updated_at = utcnow()
        client.last_activity_at = max(client.last_activity_at, client.updated_at)
        billing_contacts.record_updated(session, ctx, client, changed)
    return describe(session, client)


def set_billing_contact(session: Session, ctx: Context, client_id: str, contact_id: Any) -> dict:
    """Choose the client's billing contact (one of its live contacts), or None to go back to
    its first contact (billing_contacts.py)."""
    ctx.require(EDIT_CLIENTS)
    client = find_client(session, ctx.agency, client_id)
    if client.archived_at is not None:
        raise Conflict("This client is archived; restore it before editing.")
    chosen = None
    if contact_id not in (None, ""):
        contact = session.get(Contact, parse_field_id(contact_id, "billing_contact_id"))
        if (
            contact is None
            or contact.agency_id != ctx.agency
            or contact.client_id != client.id
            or contact.archived_at is not None
        ):
            raise ValidationError(
                "Choose one of this client's contacts.",
                {"billing_contact_id": "Not a contact of this client."},
            )
        chosen = contact.id
    if client.billing_contact_id != chosen:
        before = billing_contacts.billing_facts(session, client)
        client.billing_contact_id = chosen
        client.updated_at = utcnow()
        session.flush()
        now = billing_contacts.billing_facts(session, client)
        if now != before:
            billing_contacts.record_updated(session, ctx, client, ["billing_contact"], now)
    return describe(session, client)


def set_status(session: Session, ctx: Context, client_id: str, status: str) -> dict:
    ctx.require(EDIT_CLIENTS)
    one_of(status, CLIENT_STATUSES)
    client = find_client(session, ctx.agency, client_id)
    if client.archived_at is not None:
        raise Conflict("This client is archived; restore it before changing its status.")
    if client.status != status:
        old, client.status = client.status, status
        client.updated_at = utcnow()
        record_change(
            session,
            ctx,
            "client_status_changed",
            {"client_id": str(client.id), "name": client.name, "old_status": old, "status": status},
        )
    return describe(session, client)


def archive_client(session: Session, ctx: Context, client_id: str) -> dict:
    """ "Delete": hide the client from every list and keep its history; its contacts lose their
    portal access. Idempotent."""
    ctx.require(DELETE_CLIENTS)
    client = find_client(session, ctx.agency, client_id)
    if client.archived_at is None:
        client.archived_at = client.updated_at = utcnow()
        portal_access.close_for_client(session, ctx, client.id)
        record_change(
            session, ctx, "client_archived", {"client_id": str(client.id), "name": client.name}
        )
    return describe(session, client)


def restore_client(
    session: Session, ctx: Context, client_limit: int | None, client_id: str
) -> dict:
    """Bring an archived client back (the plan's `client_limit` and name uniqueness apply
    again)."""
    ctx.require(DELETE_CLIENTS)
    client = find_client(session, ctx.agency, client_id)
    if client.archived_at is None:
        return describe(session, client)
    check_plan_limit(session, ctx, client_limit)
    client.archived_at = None
    client.updated_at = utcnow()
    _flush_unique_name(session, client.name)
    record_change(
        session, ctx, "client_restored", {"client_id": str(client.id), "name": client.name}
    )
    return describe(session, client)


def get_logo(session: Session, ctx: Context, client_id: str) -> dict:
    """A team member with view_clients, or a portal contact of this very client."""
    if ctx.kind == "contact":
        portal_access.portal_contact(session, ctx)
        if str(ctx.client_id) != str(client_id):
            raise NotFound("No such client.")
    else:
        ctx.require(VIEW_CLIENTS)
    client = find_client(session, ctx.agency, client_id)
    return pictures.read_picture(session, ctx.agency, client.id, "client")


def set_inactive_for_overdue(session: Session, payload: dict) -> None:
    """billing's `client_payment_overdue`: the client becomes inactive (an archived, unknown or
    already inactive one is left as it is). Runs in the handler's transaction: no RPC."""
    ctx = Context.system(payload["agency_id"], payload.get("request_id"))
    client = session.scalar(
        select(Client).where(
            Client.agency_id == ctx.agency, Client.id == uuid.UUID(str(payload["client_id"]))
        )
    )
    if client is None or client.archived_at is not None or client.status == "inactive":
        return
    set_status(session, ctx, str(client.id), "inactive")
