"""Small helpers the domain modules share: times, text and tags, paging, finding a contact, the
identity port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clients.models import Contact
from kit.context import PORTAL, Context
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kit.ids import parse_id
from kit.inputs import refuse_nul
from kit.validation import (
    CANNOT_CHANGE,
    too_long,
)

MAX_TAGS = 30
TAGS_AS_WORDS = "Enter the tags as words separated by commas."


class Identity(Protocol):
    """What the domain asks of the identity service (a `ServiceRpc` proxy in the service)."""

    def get_entitlements(self, ctx: dict) -> dict: ...

    def users_by_ids(self, ctx: dict, user_ids: list[str]) -> list[dict]: ...

    def get_agency(self, ctx: dict) -> dict: ...

    def list_users(self, ctx: dict, status: str | None = None) -> list[dict]: ...

    def create_portal_login(self, ctx: dict, *args: Any) -> dict:
        """-> {"principal", "session_token"}: the new login comes signed in."""

    def update_portal_login(
        self,
        ctx: dict,
        contact_id: str,
        email: str | None = None,
        name: str | None = None,
        client_id: str | None = None,
    ) -> dict: ...

    def disable_portal_login(self, ctx: dict, contact_id: str) -> None: ...

    def check_portal_email(self, ctx: dict, contact_id: str, email: str) -> None: ...


def clean_tags(value: Any, field: str = "tags") -> list[str]:
    """Tags as a de-duplicated list; a string is split on commas and semicolons."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list | tuple):
        raise ValidationError("Tags must be a list of words.", {field: TAGS_AS_WORDS})
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str):
            raise ValidationError("Tags must be a list of words.", {field: TAGS_AS_WORDS})
        tag = " ".join(refuse_nul(tag, field).split())
        if len(tag) > 60:
            raise ValidationError("A tag is at most 60 characters.", {field: too_long(60)})
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.", {field: f"Use at most {MAX_TAGS} tags."})
    return tags


def apply_changes(
    target: Any, changes: dict, cleaners: dict[str, Callable[[Any], Any]], extra: Iterable[str] = ()
) -> list[str]:
    """Set each of `changes` that `cleaners` knows (cleaned) on `target`; the names of the
    attributes whose value changed. A key neither cleaned nor in `extra` is refused."""
    unknown = set(changes) - set(cleaners) - set(extra)
    if unknown:
        raise ValidationError(
            f"Cannot change {', '.join(sorted(unknown))}.", dict.fromkeys(unknown, CANNOT_CHANGE)
        )
    changed = []
    for key, cleaner in cleaners.items():
        if key in changes:
            value = cleaner(changes[key])
            if value != getattr(target, key):
                setattr(target, key, value)
                changed.append(key)
    return changed


def flush_unique(session: Session, conflict: Conflict, new: Any = None) -> None:
    """Flush in a savepoint (adding `new` inside it, so a conflict leaves nothing pending); a
    unique index refusing the row raises `conflict`."""
    try:
        with session.begin_nested():
            if new is not None:
                session.add(new)
            session.flush()
    except IntegrityError:
        raise conflict from None


def like_pattern(q: str) -> str:
    """`%q%` for ILIKE with the caller's own wildcards taken literally."""
    escaped = (
        refuse_nul(q, "q").strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    )
    return f"%{escaped}%"


def lock_client_count(session: Session, agency: uuid.UUID) -> None:
    """Serialise client creation per agency for the rest of the transaction (plan limit)."""
    session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"clients:{agency}"))))


def portal_only(ctx: Context) -> uuid.UUID:
    """The portal principal's own client id; nobody else may call portal methods."""
    if ctx.kind != PORTAL or not ctx.client_id:
        raise PermissionDenied("only a client portal login can do this")
    return parse_id(ctx.client_id, "client")


def find_contact(session: Session, agency: uuid.UUID, contact_id: Any) -> Contact:
    """The agency's contact by id (archived or not); NotFound for a malformed or another's id."""
    contact = session.scalar(
        select(Contact).where(
            Contact.agency_id == agency, Contact.id == parse_id(contact_id, "contact")
        )
    )
    if contact is None:
        raise NotFound("No such contact.")
    return contact
