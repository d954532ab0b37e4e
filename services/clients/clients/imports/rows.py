"""Reading an import file's rows: the file's shape (columns and mapping), each row cleaned as a
client or a contact, BATCH rows at a time, with repeats of a key within the file found."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

from sqlalchemy.orm import Session

from clients import fields as custom_fields
from clients.common import Identity, clean_tags
from clients.companies import clean_name, clean_website
from clients.contacts import clean_person_name, clean_phone
from clients.imports import csvfile, uploads
from clients.imports.uploads import ChunkSource
from kit.context import Context
from kit.errors import DomainError
from kit.inputs import clean_text
from kit.validation import clean_email

BATCH = 1000
MAX_ERRORS = 1000


def read_shape(
    session: Session, ctx: Context, kind: str, source: ChunkSource, mapping: dict | None
) -> tuple[list[str], dict, dict]:
    """(header, mapping used, custom field definitions); a file that is no CSV is refused."""
    csvfile.require_kind(kind)
    _, header = csvfile.read_header(csvfile.text_lines(source()))
    definitions = custom_fields.field_map(session, ctx.agency) if kind == "clients" else {}
    used = csvfile.resolve_mapping(kind, header, mapping, definitions)
    return header, used, definitions


def clean_contact_row(values: dict) -> dict:
    return {
        "name": clean_person_name(values.get("name")),
        "email": clean_email(values.get("email")),
        "client": clean_name(values["client"]) if values.get("client") else "",
        "position": clean_text(values.get("position"), "position", 200),
        "phone": clean_phone(values.get("phone")),
        "tags": clean_tags(values.get("tags")),
    }


def ask_team(
    session: Session,
    ctx: Context,
    identity: Identity,
    kind: str,
    source: ChunkSource,
    mapping: dict | None,
) -> dict[str, str]:
    """{lower-case e-mail: user id} of the team when the file's mapping uses account managers
    (one identity call for the whole file), else {}. The file's shape is read in a transaction
    ended before identity is asked (docs/contracts.md): call it before the import's opens."""
    _, used, _ = read_shape(session, ctx, kind, source, mapping)
    session.commit()  # nothing was written; no transaction stays open over the call
    if "account_managers" not in used.values():
        return {}
    return {u["email"].lower(): str(u["id"]) for u in identity.list_users(ctx.to_dict())}


def clean_account_managers(value: str | None, team: dict[str, str]) -> list[str]:
    """User ids for a cell of team e-mails; an unknown one refuses the row."""
    ids = []
    for email in (value or "").replace(";", ",").split(","):
        email = email.strip()
        if not email:
            continue
        if email.lower() not in team:
            raise DomainError(f"account manager {email} is not a member of your team")
        ids.append(team[email.lower()])
    return list(dict.fromkeys(ids))


def clean_client_row(values: dict, definitions: dict, team: dict[str, str]) -> dict:
    status = (values.get("status") or "").lower()
    if status not in ("", "active", "inactive"):
        raise DomainError(f"status {values['status']!r} is not active or inactive")
    custom = {}
    for key, value in values.items():
        if key.startswith("custom:") and value:
            custom[key.removeprefix("custom:")] = custom_fields.coerce_value(
                definitions[key.removeprefix("custom:")], value
            )
        elif key.startswith("custom:") and definitions[key.removeprefix("custom:")].required:
            raise DomainError(f"{definitions[key.removeprefix('custom:')].name} is required")
    return {
        "name": clean_name(values.get("name")),
        "description": clean_text(values.get("description"), "description", 5000),
        "website": clean_website(values.get("website")),
        "address": clean_text(values.get("address"), "address", 1000),
        "tags": clean_tags(values.get("tags")),
        "status": status,
        "custom_fields": custom,
        "account_manager_ids": clean_account_managers(values.get("account_managers"), team),
    }


def checked_batches(
    session: Session,
    kind: str,
    lines: Iterator[str],
    mapping: dict,
    definitions: dict,
    team: dict[str, str],
    keys: tuple[uuid.UUID, uuid.UUID],
    note: Callable[[int, str], None],
) -> Iterator[list[tuple[int, dict]]]:
    """The file's rows, cleaned, BATCH at a time; bad rows and repeats of a key met earlier in the
    file go to `note` (in line order within a batch). `team` = team_emails(); `keys` = (job id,
    agency id) under which the keys met are remembered in the database."""
    key_field = "email" if kind == "contacts" else "name"
    for raw in batches(csvfile.mapped_rows(lines, mapping)):
        errors, good = [], []
        for line, values in raw:
            try:
                row = (
                    clean_contact_row(values)
                    if kind == "contacts"
                    else clean_client_row(values, definitions, team)
                )
            except DomainError as exc:
                errors.append((line, exc.message))
                continue
            good.append((line, row))
        repeats = uploads.first_lines(
            session, *keys, [(row[key_field].lower(), line) for line, row in good]
        )
        kept = []
        for line, row in good:
            if line in repeats:
                errors.append(
                    (line, f"{row[key_field]} is already on line {repeats[line]} of this file")
                )
            else:
                kept.append((line, row))
        for line, reason in sorted(errors):
            note(line, reason)
        yield kept


def batches(rows: Iterator, size: int | None = None) -> Iterator[list]:
    size = size or BATCH
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
