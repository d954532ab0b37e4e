"""What an import would change in records that exist: the preview's "M will be updated (these
fields)". The rules are the writers': an empty cell keeps the stored value; clients match by
name among live clients, contacts by e-mail."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients.imports.writers import among
from clients.models import Client, Contact

CLIENT_TEXT = ("description", "website", "address")
CONTACT_TEXT = ("position", "phone")


def _differs(new, old) -> bool:
    """A filled cell that is not what is stored (lists compare as sets of words)."""
    if new in ("", None, [], {}):
        return False
    if isinstance(new, list):
        return sorted(new) != sorted(old or [])
    return new != old


def _client_changes(row: dict, client: Client) -> list[str]:
    fields = [col for col in CLIENT_TEXT if _differs(row[col], getattr(client, col))]
    if _differs(row["tags"], client.tags):
        fields.append("tags")
    if _differs(row["account_manager_ids"], client.account_manager_ids):
        fields.append("account_managers")
    if row["status"] and row["status"] != client.status:
        fields.append("status")
    stored = client.custom_fields or {}
    fields += [
        f"custom:{key}" for key, value in row["custom_fields"].items() if stored.get(key) != value
    ]
    return fields


def _contact_changes(row: dict, contact: Contact, client_name: str) -> list[str]:
    fields = ["name"] if row["name"] != contact.name else []
    if row["client"] and row["client"].lower() != client_name.lower():
        fields.append("client")
    fields += [col for col in CONTACT_TEXT if _differs(row[col], getattr(contact, col))]
    if _differs(row["tags"], contact.tags):
        fields.append("tags")
    return fields


def batch_changes(
    session: Session, agency: uuid.UUID, kind: str, batch: list[tuple[int, dict]]
) -> Counter:
    """How many rows of the batch would change each field of an existing record; read before
    the batch is written."""
    if kind == "clients":
        wanted = among([row["name"].lower() for _, row in batch])
        found = {
            c.name_key: c
            for c in session.scalars(
                select(Client)
                .join(wanted, Client.name_key == wanted.c.key)
                .where(Client.agency_id == agency, Client.archived_at.is_(None))
            )
        }
        changes = [
            _client_changes(row, found[row["name"].lower()])
            for _, row in batch
            if row["name"].lower() in found
        ]
    else:
        wanted = among([row["email"].lower() for _, row in batch])
        found = {
            contact.email_key: (contact, client_name)
            for contact, client_name in session.execute(
                select(Contact, Client.name)
                .join(Client, Client.id == Contact.client_id)
                .join(wanted, Contact.email_key == wanted.c.key)
                .where(Contact.agency_id == agency)
            )
        }
        changes = [
            _contact_changes(row, *found[row["email"].lower()])
            for _, row in batch
            if row["email"].lower() in found
        ]
    return Counter(field for changed in changes for field in changed)
