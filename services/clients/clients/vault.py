"""The credential vault: per client, entries of label, URL, username, password, notes.

- Passwords are encrypted at rest with MultiFernet over the configured VAULT_KEYS
  (comma-separated Fernet keys; the first encrypts, all decrypt). `rotate` re-encrypts every
  entry with the first key (`python -m clients.rotate_vault_keys`), after which old keys can go.
- Listing an entry never returns its password (`has_password` says whether one is stored);
  reading needs view_clients, writing edit_clients.
- `reveal_password` needs view_vault and records who revealed which entry when
  (`vault_reveals`); `list_reveals` shows that audit to holders of view_vault (the roles that
  may reveal are the ones that may see who did).
- Nothing here logs a password, and errors never carry one.
"""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from clients.companies import clean_website, find_client
from clients.models import VaultEntry, VaultReveal
from kit.context import Context
from kit.db import utcnow
from kit.encryption import decrypt, encrypt
from kit.errors import NotFound, ValidationError
from kit.ids import parse_id
from kit.inputs import clean_text, iso
from kit.paging import page_of
from kit.permissions import EDIT_CLIENTS, VIEW_CLIENTS, VIEW_VAULT
from kit.validation import NOT_TEXT, too_long

EDITABLE = ("label", "url", "username", "password", "notes")
MAX_PASSWORD = 1000


def vault_entry_dict(entry: VaultEntry) -> dict:
    return {
        "id": str(entry.id),
        "client_id": str(entry.client_id),
        "label": entry.label,
        "url": entry.url,
        "username": entry.username,
        "has_password": bool(entry.password_token),
        "notes": entry.notes,
        "created_by": entry.created_by,
        "created_at": iso(entry.created_at),
        "updated_at": iso(entry.updated_at),
    }


def _clean(field: str, value: Any) -> str:
    if field == "label":
        return clean_text(value, "label", 200, required=True)
    if field == "url":
        return clean_website(value, "url") if value else ""
    if field == "username":
        return clean_text(value, "username", 200)
    if field == "notes":
        return clean_text(value, "notes", 5000)
    if value is not None and not isinstance(value, str):
        raise ValidationError("password must be text.", {"password": NOT_TEXT})
    if value and len(value) > MAX_PASSWORD:
        raise ValidationError("The password is too long.", {"password": too_long(MAX_PASSWORD)})
    return value or ""


def _entry(session: Session, ctx: Context, client_id: Any, entry_id: Any) -> VaultEntry:
    client = find_client(session, ctx.agency, client_id)
    entry = session.scalar(
        select(VaultEntry).where(
            VaultEntry.agency_id == ctx.agency,
            VaultEntry.client_id == client.id,
            VaultEntry.id == parse_id(entry_id, "vault entry"),
        )
    )
    if entry is None:
        raise NotFound("No such vault entry.")
    return entry


def list_entries(session: Session, ctx: Context, client_id: str) -> list[dict]:
    """A client's vault entries (never a password). Usernames, URLs and notes are half a
    credential: listing them needs view_vault, as revealing a password does."""
    ctx.require(VIEW_CLIENTS, VIEW_VAULT)
    client = find_client(session, ctx.agency, client_id)
    rows = session.scalars(
        select(VaultEntry)
        .where(VaultEntry.agency_id == ctx.agency, VaultEntry.client_id == client.id)
        .order_by(VaultEntry.label, VaultEntry.id)
    )
    return [vault_entry_dict(e) for e in rows]


def create_entry(
    session: Session, ctx: Context, cipher: MultiFernet, client_id: str, **data: Any
) -> dict:
    ctx.require(EDIT_CLIENTS)
    unknown = set(data) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    client = find_client(session, ctx.agency, client_id, live_only=True)
    now = utcnow()
    entry = VaultEntry(
        agency_id=ctx.agency,
        client_id=client.id,
        label=_clean("label", data.get("label")),
        url=_clean("url", data.get("url")),
        username=_clean("username", data.get("username")),
        password_token=encrypt(cipher, _clean("password", data.get("password"))),
        notes=_clean("notes", data.get("notes")),
        created_by=ctx.principal_id,
        created_at=now,
        updated_at=now,
    )
    session.add(entry)
    session.flush()
    return vault_entry_dict(entry)


def update_entry(
    session: Session, ctx: Context, cipher: MultiFernet, client_id: str, entry_id: str, **changes
) -> dict:
    """Change any of label, url, username, password, notes."""
    ctx.require(EDIT_CLIENTS)
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError(f"Unknown fields: {', '.join(sorted(unknown))}.")
    entry = _entry(session, ctx, client_id, entry_id)
    for field, value in changes.items():
        cleaned = _clean(field, value)
        if field == "password":
            entry.password_token = encrypt(cipher, cleaned)
        else:
            setattr(entry, field, cleaned)
    entry.updated_at = utcnow()
    return vault_entry_dict(entry)


def delete_entry(session: Session, ctx: Context, client_id: str, entry_id: str) -> None:
    ctx.require(EDIT_CLIENTS)
    session.delete(_entry(session, ctx, client_id, entry_id))


def reveal_password(
    session: Session, ctx: Context, cipher: MultiFernet, client_id: str, entry_id: str
) -> dict:
    """The password in clear, for a holder of view_vault; the reveal is recorded first."""
    ctx.require(VIEW_VAULT)
    entry = _entry(session, ctx, client_id, entry_id)
    password = decrypt(cipher, entry.password_token)
    reveal = VaultReveal(
        agency_id=ctx.agency,
        client_id=entry.client_id,
        entry_id=entry.id,
        entry_label=entry.label,
        principal_id=ctx.principal_id,
        request_id=ctx.request_id,
        revealed_at=utcnow(),
    )
    session.add(reveal)
    return {"entry_id": str(entry.id), "password": password, "revealed_at": iso(reveal.revealed_at)}


def list_reveals(
    session: Session, ctx: Context, client_id: str | None = None, page: Any = 1, per_page: Any = 25
) -> dict:
    """Who revealed which password, newest first, one page at a time (the audit only grows)."""
    ctx.require(VIEW_VAULT)
    query = select(VaultReveal).where(VaultReveal.agency_id == ctx.agency)
    if client_id:
        query = query.where(VaultReveal.client_id == find_client(session, ctx.agency, client_id).id)
    query = query.order_by(VaultReveal.revealed_at.desc(), VaultReveal.id)
    return page_of(session, query, page, per_page, _reveal_dicts)


def _reveal_dicts(rows) -> list[dict]:
    return [
        {
            "id": str(r.id),
            "client_id": str(r.client_id),
            "entry_id": str(r.entry_id),
            "entry_label": r.entry_label,
            "principal_id": r.principal_id,
            "revealed_at": iso(r.revealed_at),
        }
        for (r,) in rows
    ]


def rotate(session: Session, cipher: MultiFernet, batch: int = 500) -> int:
    """Re-encrypt every entry of every agency with the first key; returns how many changed."""
    rotated = 0
    last_id: uuid.UUID | None = None
    while True:
        query = select(VaultEntry).where(VaultEntry.password_token != "").order_by(VaultEntry.id)
        if last_id is not None:
            query = query.where(VaultEntry.id > last_id)
        rows = session.scalars(query.limit(batch).with_for_update()).all()
        if not rows:
            return rotated
        for entry in rows:
            entry.password_token = cipher.rotate(entry.password_token.encode()).decode("ascii")
            rotated += 1
        last_id = rows[-1].id
        session.commit()
