"""The clients list and the Contacts tab: search, filter, sort, paginate.

`list_clients`: `q` matches name, website or description (case-insensitive substring); `status`
is `active`, `inactive`, `archived`, or None for active + inactive (archived clients only show
when asked for); `tag`, `account_manager_id`, `custom_fields` ({field_id: value}; text fields
match a substring, the other types the exact value) filter; `sort` is `created_at`, `name`,
`last_activity` or `contact_count` (a leading `-` sorts descending). `list_contacts`: `q`
matches name, e-mail, position or client name; `client_id`, `tag` (the contact's tags or its
client's), `account_manager_id` and `status` (its client's) filter, and it sorts like the
clients list but for `contact_count`; archived contacts, and contacts of archived clients, only
show with `status="archived"`. Both return `{"items", "total", "page", "per_page"}`; a client's
`contact_count` counts its contacts that are not archived.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, or_, select
from sqlalchemy.orm import Session

from clients import billing_contacts, pictures
from clients import fields as custom_fields
from clients.common import like_pattern, refuse_nul
from clients.companies import client_dict, find_client, live_contacts
from clients.contacts import contact_dict
from clients.models import Client, Contact
from kit.context import Context
from kit.inputs import one_of
from kit.paging import page_of
from kit.permissions import VIEW_CLIENTS
from kit.vocabulary import LIST_STATUSES


def _filtered(
    query: Select,
    status: str | None,
    q: str | None,
    searched: tuple[ColumnElement, ...],
    account_manager_id: str | None,
    archived: ColumnElement,
) -> Select:
    """The filters both lists share: status (`archived` = where `archived` holds), a search of
    the `searched` columns, and the client's account manager."""
    one_of(status, (None, "", *LIST_STATUSES))
    if status == "archived":
        query = query.where(archived)
    else:
        query = query.where(~archived)
        query = query.where(Client.status == status) if status else query
    if q and q.strip():
        pattern = like_pattern(q)
        query = query.where(or_(*(column.ilike(pattern) for column in searched)))
    if account_manager_id:
        manager = refuse_nul(str(account_manager_id), "account_manager_id")
        query = query.where(Client.account_manager_ids.contains([manager]))
    return query


def _sorted(query: Select, sort: str | None, columns: dict, tiebreak: ColumnElement) -> Select:
    """Ordered by one of `columns` (a leading `-` sorts descending), then by `tiebreak`."""
    sort = sort or "-created_at"
    column = columns[one_of(sort.lstrip("-"), columns, "sort")]
    return query.order_by(column.desc() if sort.startswith("-") else column.asc(), tiebreak)


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
    ctx.require(VIEW_CLIENTS)
    contact_count = live_contacts(Client.id).correlate(Client).scalar_subquery()
    query = select(Client, contact_count.label("contact_count")).where(
        Client.agency_id == ctx.agency
    )
    searched = (Client.name, Client.website, Client.description)
    archived = Client.archived_at.is_not(None)
    query = _filtered(query, status, q, searched, account_manager_id, archived)
    if tag:
        query = query.where(Client.tags.contains([refuse_nul(str(tag), "tag")]))
    for field_id, value in (custom_fields_filter or {}).items():
        field = custom_fields.get_field(session, ctx.agency, field_id)
        if field.field_type == "text":
            query = query.where(
                Client.custom_fields[str(field.id)].astext.ilike(like_pattern(str(value)))
            )
        else:
            stored = custom_fields.coerce_value(field, value)
            query = query.where(Client.custom_fields.contains({str(field.id): stored}))
    columns = {
        "created_at": Client.created_at,
        "name": Client.name_key,
        "last_activity": Client.last_activity_at,
        "contact_count": contact_count,
    }
    query = _sorted(query, sort, columns, Client.id)

    def items(rows) -> list[dict]:
        with_logo = pictures.owners_with_pictures(session, ctx.agency, [c.id for c, _ in rows])
        contacts = billing_contacts.billing_contacts(session, [c for c, _ in rows])
        return [client_dict(c, count, c.id in with_logo, contacts[c.id]) for c, count in rows]

    return page_of(session, query, page, per_page, items)


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
    ctx.require(VIEW_CLIENTS)
    query = (
        select(Contact, Client.name)
        .join(Client, Client.id == Contact.client_id)
        .where(Contact.agency_id == ctx.agency)
    )
    searched = (
        Contact.name,
        Contact.email,
        Contact.position,
        Contact.phone,
        func.array_to_string(Contact.tags, " "),
        Client.name,
    )
    archived = or_(Contact.archived_at.is_not(None), Client.archived_at.is_not(None))
    query = _filtered(query, status, q, searched, account_manager_id, archived)
    if client_id:
        # another agency's client is not found, as everywhere, rather than an empty list
        query = query.where(Contact.client_id == find_client(session, ctx.agency, client_id).id)
    if tag:
        tag = refuse_nul(str(tag), "tag")
        query = query.where(or_(Contact.tags.contains([tag]), Client.tags.contains([tag])))
    columns = {
        "created_at": Contact.created_at,
        "name": func.lower(Contact.name),
        "last_activity": Contact.last_activity_at,
    }
    query = _sorted(query, sort, columns, Contact.id)

    def items(rows) -> list[dict]:
        with_avatar = pictures.owners_with_pictures(session, ctx.agency, [c.id for c, _ in rows])
        return [contact_dict(c, name, c.id in with_avatar) for c, name in rows]

    return page_of(session, query, page, per_page, items)
