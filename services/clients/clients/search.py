"""The clients list and the Contacts tab: search, filter, sort, paginate.

`list_clients`: `q` matches name, website or description (case-insensitive substring); `status`
is `active`, `inactive`, `archived`, or None for active + inactive (archived clients only show
when asked for); `tag`, `account_manager_id`, `custom_fields` ({field_id: value}; text fields
match a substring, the other types the exact value) filter; `sort` is one of SORTS (a leading
`-` sorts descending). `list_contacts`: `q` matches name, e-mail, position or client name;
`client_id`, `tag` (the contact's tags or its client's), `account_manager_id` and `status` (its
client's) filter; contacts of archived clients only show with `status="archived"`.
Both return `{"items", "total", "page", "per_page"}`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from clients import fields as custom_fields
from clients import pictures
from clients.common import like_pattern, paging, parse_id
from clients.companies import client_to_dict
from clients.contacts import contact_to_dict
from clients.models import Client, Contact
from kit.context import Context
from kit.errors import ValidationError

SORTS = ("created_at", "name", "last_activity", "contact_count")
CONTACT_SORTS = ("created_at", "name", "last_activity")
STATUSES = ("active", "inactive", "archived")


def _status_filter(query: Select, status: str | None) -> Select:
    if status not in (None, "", *STATUSES):
        raise ValidationError("status must be active, inactive or archived.", {"status": "invalid"})
    if status == "archived":
        return query.where(Client.archived_at.is_not(None))
    query = query.where(Client.archived_at.is_(None))
    return query.where(Client.status == status) if status else query


def _sort_key(sort: str | None, allowed: tuple[str, ...]) -> tuple[str, bool]:
    sort = sort or "-created_at"
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in allowed:
        raise ValidationError(f"sort must be one of {', '.join(allowed)}.", {"sort": "invalid"})
    return key, descending


def _page(session: Session, query: Select, page: int, per_page: int):
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
    return total, rows


def list_clients(
    session: Session,
    ctx: Context,
    q: str | None = None,
    status: str | None = None,
    tag: str | None = None,
    account_manager_id: str | None = None,
    custom_fields_filter: dict | None = None,
    sort: str | None = "-created_at",
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    ctx.require("view_clients")
    page, per_page = paging(page, per_page)
    key, descending = _sort_key(sort, SORTS)
    contact_count = (
        select(func.count())
        .where(Contact.client_id == Client.id)
        .correlate(Client)
        .scalar_subquery()
        .label("contact_count")
    )
    query = select(Client, contact_count).where(Client.agency_id == ctx.agency)
    query = _status_filter(query, status)
    if q and q.strip():
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Client.name.ilike(pattern),
                Client.website.ilike(pattern),
                Client.description.ilike(pattern),
            )
        )
    if tag:
        query = query.where(Client.tags.contains([tag]))
    if account_manager_id:
        query = query.where(Client.account_manager_ids.contains([str(account_manager_id)]))
    for field_id, value in (custom_fields_filter or {}).items():
        field = custom_fields.get_field(session, ctx.agency, field_id)
        if field.field_type == "text":
            query = query.where(
                Client.custom_fields[str(field.id)].astext.ilike(like_pattern(str(value)))
            )
        else:
            stored = custom_fields.coerce_value(field, value)
            query = query.where(Client.custom_fields.contains({str(field.id): stored}))
    column = {
        "created_at": Client.created_at,
        "name": Client.name_key,
        "last_activity": Client.last_activity_at,
        "contact_count": contact_count,
    }[key]
    query = query.order_by(column.desc() if descending else column.asc(), Client.id)
    total, rows = _page(session, query, page, per_page)
    with_logo = pictures.owners_with_pictures(session, ctx.agency, [c.id for c, _ in rows])
    items = [client_to_dict(c, count, c.id in with_logo) for c, count in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}


def list_contacts(
    session: Session,
    ctx: Context,
    q: str | None = None,
    client_id: str | None = None,
    tag: str | None = None,
    account_manager_id: str | None = None,
    status: str | None = None,
    sort: str | None = "-created_at",
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    ctx.require("view_clients")
    page, per_page = paging(page, per_page)
    key, descending = _sort_key(sort, CONTACT_SORTS)
    query = (
        select(Contact, Client.name)
        .join(Client, Client.id == Contact.client_id)
        .where(Contact.agency_id == ctx.agency)
    )
    query = _status_filter(query, status)
    if client_id:
        query = query.where(Contact.client_id == parse_id(client_id, "client"))
    if q and q.strip():
        pattern = like_pattern(q)
        query = query.where(
            or_(
                Contact.name.ilike(pattern),
                Contact.email.ilike(pattern),
                Contact.position.ilike(pattern),
                Client.name.ilike(pattern),
            )
        )
    if tag:
        query = query.where(or_(Contact.tags.contains([tag]), Client.tags.contains([tag])))
    if account_manager_id:
        query = query.where(Client.account_manager_ids.contains([str(account_manager_id)]))
    column = {
        "created_at": Contact.created_at,
        "name": func.lower(Contact.name),
        "last_activity": Contact.last_activity_at,
    }[key]
    query = query.order_by(column.desc() if descending else column.asc(), Contact.id)
    total, rows = _page(session, query, page, per_page)
    with_avatar = pictures.owners_with_pictures(session, ctx.agency, [c.id for c, _ in rows])
    items = [contact_to_dict(c, name, c.id in with_avatar) for c, name in rows]
    return {"items": items, "total": total, "page": page, "per_page": per_page}
