"""The clients list and the Contacts tab: search, filter, sort, paginate.

`list_clients`: `q` matches name, website or description (case-insensitive substring); `status`
is `active`, `inactive`, `archived`, or None for active + inactive (archived clients only show
when asked for); `tag`, `account_manager_id`, `custom_fields` ({field_id: value}; text fields
match a substring, the other types the exact value) filter; `sort` is `created_at`, `name`,
`last_activity` or `contact_count` (a leading `-` sorts descending). `list_contacts`: `q`
matches name, e-mail, position or client name; `client_id`, `tag` (the contact's tags or its
client's), `account_manager_id` and `status` (its client's) filter, and it sorts like the
clients list but for `contact_count`; archived contacts, and contacts of archived clients, only
show with `status="archived"`. Both return `{"items", "total", "page", "per_page",
"next_cursor"}`: `after=<next_cursor>` is the next page by keyset (kit.paging.seek_page_of), as
fast deep in the list as at its start; a client's `contact_count` counts its contacts that are
not archived (stored, kept by the database: migration 0042_lists_contact_counts). A contacts
list filtered on its clients alone (status, account manager, client) totals their stored counts;
one with a search or a tag, or of archived contacts, counts its rows. `client_names`: the
agency's live clients, id and name only, for a client select.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, String, any_, func, or_, select
from sqlalchemy.orm import Session

from clients import billing_contacts, pictures
from clients import fields as custom_fields
from clients.common import like_pattern, refuse_nul
from clients.companies import client_dict, find_client
from clients.contacts import contact_dict
from clients.models import Client, Contact
from kit.context import Context
from kit.inputs import one_of
from kit.paging import seek_page_of
from kit.permissions import VIEW_CLIENTS
from kit.vocabulary import LIST_STATUSES

# Up to this many matches, a search's matches are sorted; past it, the sort's index is walked
# (to find 50 of 100,000 contacts either way visits about this many rows).
SORT_SEARCH_MATCHES = 2_000


def _filtered(
    query: Select,
    status: str | None,
    q: str | None,
    search: Callable[[str], ColumnElement] | None,
    account_manager_id: str | None,
    archived: ColumnElement,
    of_clients: Callable[[ColumnElement], ColumnElement] = lambda condition: condition,
) -> Select:
    """The filters both lists share: status (`archived` = where `archived` holds), a search
    (`search(pattern)`: the condition for an ILIKE pattern), and the client's account manager
    (`of_clients(condition)`: the rows whose client meets a condition on clients)."""
    one_of(status, (None, "", *LIST_STATUSES))
    if status == "archived":
        query = query.where(archived)
    else:
        query = query.where(~archived)
        query = query.where(of_clients(Client.status == status)) if status else query
    if q and q.strip():
        query = query.where(search(like_pattern(q)))
    if account_manager_id:
        manager = refuse_nul(str(account_manager_id), "account_manager_id")
        query = query.where(of_clients(Client.account_manager_ids.contains([manager])))
    return query


def _sorted(
    query: Select, sort: str | None, columns: dict, tiebreak: ColumnElement
) -> tuple[Select, str, list[ColumnElement], bool]:
    """Ordered by one of `columns` (a leading `-` sorts descending), then by `tiebreak` in the
    same direction (one index scan serves both, and a page's last row is a keyset position):
    (query, the sort asked for, its columns, descending)."""
    sort = sort or "-created_at"
    column = columns[one_of(sort.lstrip("-"), columns, "sort")]
    descending = sort.startswith("-")
    order = [column, tiebreak]
    query = query.order_by(*(c.desc() if descending else c.asc() for c in order))
    return query, sort, order, descending


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
    after: str | None = None,
) -> dict:
    ctx.require(VIEW_CLIENTS)
    # the count is the database's (migration 0042_lists_contact_counts), selected as a column so
    # that it is read as stored now, whatever the session holds
    query = select(Client, Client.contact_count)
    query = query.where(Client.agency_id == ctx.agency)
    searched = (Client.name, Client.website, Client.description)

    def search(pattern: str) -> ColumnElement:
        return or_(*(column.ilike(pattern) for column in searched))

    archived = Client.archived_at.is_not(None)
    query = _filtered(query, status, q, search, account_manager_id, archived)
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
        "contact_count": Client.contact_count,
    }
    query, sort, order, descending = _sorted(query, sort, columns, Client.id)

    def items(rows) -> list[dict]:
        ids = [c.id for c, _ in rows]
        with_logo = pictures.owners_with_pictures(session, ctx.agency, ids)
        contacts = billing_contacts.billing_contacts(session, [c for c, _ in rows])
        return [client_dict(c, count, c.id in with_logo, contacts[c.id]) for c, count in rows]

    return seek_page_of(session, query, page, per_page, items, sort, order, descending, after)


def client_names(session: Session, ctx: Context) -> list[dict]:
    """Every live (not archived) client of the agency as `{"id", "name"}`, by name: what a page's
    client select offers, however many clients, in one read along the agency's live names
    (`uq_clients_agency_name_live`) with none of a list page's extras (counts, logos, billing
    contacts)."""
    ctx.require(VIEW_CLIENTS)
    rows = session.execute(
        select(Client.id, Client.name)
        .where(Client.agency_id == ctx.agency, Client.archived_at.is_(None))
        .order_by(Client.name_key)
    )
    return [{"id": str(client_id), "name": name} for client_id, name in rows]


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
    after: str | None = None,
) -> dict:
    ctx.require(VIEW_CLIENTS)
    # Contacts alone, no join: a filter on their clients is a condition on `client_id`, and the
    # page's client names are read for its rows only; so a deep page's keys are read from one
    # index, and each contact is one row of the count.
    query = select(Contact).where(Contact.agency_id == ctx.agency)

    def search(pattern: str) -> ColumnElement:
        # name, e-mail, position, phone and tags in one stored lower-cased text with a trigram
        # index (migration 0040_gwlists_contact_search): LIKE on it is the ILIKE of those
        # columns, without computing and case-folding each candidate row again; or the
        # client's name
        text = Contact.search_text.like(func.lower(pattern))
        named = select(Client.id).where(Client.agency_id == ctx.agency, Client.name.ilike(pattern))
        # `= ANY(ARRAY(...))`, not `IN (...)`: an index condition, so PostgreSQL ORs the two
        # index scans instead of reading every contact
        return or_(text, Contact.client_id == any_(func.array(named.scalar_subquery())))

    def clients_where(condition: ColumnElement) -> ColumnElement:
        """The contact's client is one of the agency's clients where `condition` holds, as
        `client_id = ANY(ARRAY(...))`: an index condition on contacts that PostgreSQL ORs with
        another (archived or tagged contacts). For a few clients only: each row's client is
        looked for along the array."""
        chosen = select(Client.id).where(Client.agency_id == ctx.agency, condition)
        return Contact.client_id == any_(func.array(chosen.scalar_subquery()))

    def of_clients(condition: ColumnElement) -> ColumnElement:
        """The contact's client is one of the agency's clients where `condition` holds, as
        `client_id IN (SELECT ...)`: a semi-join (on a hash of them), however many they are."""
        chosen = select(Client.id).where(Client.agency_id == ctx.agency, condition)
        return Contact.client_id.in_(chosen)

    archived = or_(Contact.archived_at.is_not(None), clients_where(Client.archived_at.is_not(None)))
    query = _filtered(query, status, q, search, account_manager_id, archived, of_clients)
    chosen = None
    if client_id:
        # another agency's client is not found, as everywhere, rather than an empty list
        chosen = find_client(session, ctx.agency, client_id)
        query = query.where(Contact.client_id == chosen.id)
    if tag:
        tag = refuse_nul(str(tag), "tag")
        query = query.where(
            or_(Contact.tags.contains([tag]), clients_where(Client.tags.contains([tag])))
        )
    count = None
    if not (q and q.strip()) and not tag and status != "archived":
        # the list is the live contacts of the live clients its filters choose
        count = _live_contacts_of_clients(ctx, status, account_manager_id, chosen)
    columns = {
        "created_at": Contact.created_at,
        "name": func.lower(Contact.name, type_=String),
        "last_activity": Contact.last_activity_at,
    }
    # A search for a common word walks the sort's index and stops at the page's last match; a
    # rare word's few matches (known from the count) are sorted instead (SORT_SEARCH_MATCHES).
    query, sort, order, descending = _sorted(query, sort, columns, Contact.id)

    def items(rows) -> list[dict]:
        found = [contact for (contact,) in rows]
        with_avatar = pictures.owners_with_pictures(session, ctx.agency, [c.id for c in found])
        client_names = dict(
            session.execute(
                select(Client.id, Client.name).where(
                    Client.agency_id == ctx.agency, Client.id.in_([c.client_id for c in found])
                )
            ).all()
        )
        return [contact_dict(c, client_names[c.client_id], c.id in with_avatar) for c in found]

    return seek_page_of(
        session,
        query,
        page,
        per_page,
        items,
        sort,
        order,
        descending,
        after,
        key=Contact.id,
        sort_matches_up_to=SORT_SEARCH_MATCHES if q and q.strip() else 0,
        count=count,
    )


def _live_contacts_of_clients(
    ctx: Context, status: str | None, account_manager_id: str | None, client: Client | None
) -> Select:
    """How many live contacts the agency's live clients have (those of `status`, managed by
    `account_manager_id`, or `client` alone): the sum of their stored counts, one row per client
    (exact: the database keeps them, migration 0042_lists_contact_counts)."""
    query = select(func.coalesce(func.sum(Client.contact_count), 0))
    query = query.where(Client.agency_id == ctx.agency)
    archived = Client.archived_at.is_not(None)
    query = _filtered(query, status, None, None, account_manager_id, archived)
    return query if client is None else query.where(Client.id == client.id)
