"""Small helpers the domain modules share: ids, times, tags, paging, the identity port."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any, Protocol

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kit.context import PORTAL, Context
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kit.inputs import clean_text as clean_text
from kit.inputs import iso as iso
from kit.inputs import one_of as one_of
from kit.inputs import refuse_nul
from kit.paging import page_of as page_of
from kit.paging import paging as paging

MAX_TAGS = 30


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

    def disable_portal_logins_for_client(self, ctx: dict, client_id: str) -> dict: ...


def parse_id(value: Any, what: str) -> uuid.UUID:
    """A UUID from the caller; anything malformed is simply not found."""
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        raise NotFound(f"No such {what}.") from None


def clean_tags(value: Any, field: str = "tags") -> list[str]:
    """Tags as a de-duplicated list; a string is split on commas and semicolons."""
    if value is None or value == "":
        return []
    if isinstance(value, str):
        value = value.replace(";", ",").split(",")
    if not isinstance(value, list | tuple):
        raise ValidationError("Tags must be a list of words.", {field: "must be a list"})
    tags: list[str] = []
    for tag in value:
        if not isinstance(tag, str):
            raise ValidationError("Tags must be a list of words.", {field: "must be text"})
        tag = " ".join(refuse_nul(tag, field).split())
        if len(tag) > 60:
            raise ValidationError("A tag is at most 60 characters.", {field: "tag too long"})
        if tag and tag.lower() not in {t.lower() for t in tags}:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise ValidationError(f"At most {MAX_TAGS} tags.", {field: "too many tags"})
    return tags


def apply_changes(
    target: Any, changes: dict, cleaners: dict[str, Callable[[Any], Any]], extra: Iterable[str] = ()
) -> list[str]:
    """Set each of `changes` that `cleaners` knows (cleaned) on `target`; the names of the
    attributes whose value changed. A key neither cleaned nor in `extra` is refused."""
    unknown = set(changes) - set(cleaners) - set(extra)
    if unknown:
        raise ValidationError(
            f"Cannot change {', '.join(sorted(unknown))}.", dict.fromkeys(unknown, "unknown")
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


def team_only(ctx: Context) -> None:
    if ctx.kind == PORTAL:
        raise PermissionDenied("the client portal cannot do this")


def portal_only(ctx: Context) -> uuid.UUID:
    """The portal principal's own client id; nobody else may call portal methods."""
    if ctx.kind != PORTAL or not ctx.client_id:
        raise PermissionDenied("only a client portal login can do this")
    return parse_id(ctx.client_id, "client")
