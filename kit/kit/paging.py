"""One page of a list, the shape every list answers: `{"items", "total", "page", "per_page"}`
(and, for the lists that can be long, `next_cursor`: `seek_page_of` below)."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, cast, func, literal, select, tuple_
from sqlalchemy.orm import Session

from kit.errors import ValidationError
from kit.validation import NOT_A_NUMBER

MAX_PER_PAGE = 100
MAX_PAGE = 100_000  # far past any real list; keeps OFFSET inside a bigint


def paging(page: Any, per_page: Any) -> tuple[int, int]:
    """(page, per_page) clamped to 1..MAX_PAGE and 1..MAX_PER_PAGE: a huge page number is an
    empty page, never a database error."""
    try:
        page, per_page = int(page or 1), int(per_page or 25)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError(
            "page and per_page must be numbers.", {"page": NOT_A_NUMBER}
        ) from None
    return min(max(page, 1), MAX_PAGE), min(max(per_page, 1), MAX_PER_PAGE)


def count_query(query: Select) -> Select:
    """How many rows `query` has. Counted on its FROM and WHERE alone when it has no GROUP BY,
    DISTINCT or LIMIT: the columns it selects (e.g. a correlated count per row) are not worked
    out for every row just to be counted."""
    plain = not (query._group_by_clauses or query._distinct or query._limit_clause is not None)
    if plain:
        return query.order_by(None).with_only_columns(func.count(), maintain_column_froms=True)
    return select(func.count()).select_from(query.order_by(None).subquery())


def _sliced(query: Select, offset: int, limit: int) -> Select:
    """`query` OFFSET `offset` LIMIT `limit`, both written into the SQL rather than sent as
    parameters. psycopg prepares a statement run often on one connection, and PostgreSQL then
    settles on a generic plan, which cannot know them: it planned a deep page's 51 keys as a
    tenth of the list, joined by a hash over every key of the agency (2-3x the time)."""
    return query.offset(literal(offset, Integer, literal_execute=True)).limit(
        literal(limit, Integer, literal_execute=True)
    )


def page_of(
    session: Session,
    query: Select,
    page: Any,
    per_page: Any,
    to_dict: Callable[[Iterable], list[dict]],
    key: Any = None,
) -> dict:
    """One page of an ordered query: `{"items", "total", "page", "per_page"}`; `to_dict` turns
    the page's rows into its items (all at once, so it can look things up for the whole page).

    With `key` (the rows' primary key column), the page is found on the keys alone, then only
    its rows are read: a deep page (a large OFFSET) sorts and skips narrow keys, not whole rows.
    """
    page, per_page = paging(page, per_page)
    total = session.scalar(count_query(query))
    offset = (page - 1) * per_page
    if key is not None and offset:
        keys = query.with_only_columns(key, maintain_column_froms=True)
        keys = _sliced(keys, offset, per_page).scalar_subquery()
        rows = session.execute(query.where(key.in_(keys))).all()
    else:
        rows = session.execute(_sliced(query, offset, per_page)).all()
    return {"items": to_dict(rows), "total": total, "page": page, "per_page": per_page}


# -- keyset ("seek") pages ------------------------------------------------------------------------
#
# A page number costs an OFFSET: page 1,900 of 100,000 contacts sorts and skips 95,000 keys.
# Each page of a list that can be that long also answers `next_cursor`: an opaque token that
# names the last row of the page (its sort values) and the number of the next page. Asked for
# with `after=<next_cursor>` (and the same filters and sort), the next page is found by seeking
# in the sort's index from that row, however deep: `WHERE (sort key, id) < (last row's)`, then
# LIMIT. `next_cursor` is None on the last page. A cursor is a position, not a snapshot: rows
# added or removed meanwhile are seen or not as they fall, none is repeated or skipped, and
# `total` is counted afresh (exactly) with every page.

INVALID_CURSOR = "Not a valid cursor: use the next_cursor of a page of this list, as answered."


def _encode_cursor(sort: str, page: int, values: list) -> str:
    data = json.dumps([sort, page, [_plain(v) for v in values]], separators=(",", ":"))
    return base64.urlsafe_b64encode(data.encode()).decode().rstrip("=")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _decode_cursor(cursor: Any, sort: str, width: int) -> tuple[int, list]:
    """(page, values) of a cursor this list made for this sort; ValidationError otherwise."""
    try:
        text = str(cursor)
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        made_for, page, values = data
        if made_for != sort or not isinstance(page, int) or not isinstance(values, list):
            raise ValueError
        if len(values) != width or not all(isinstance(v, str | int | float) for v in values):
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationError(INVALID_CURSOR, {"after": INVALID_CURSOR}) from None
    return min(max(page, 1), MAX_PAGE), values


def seek_page_of(
    session: Session,
    query: Select,
    page: Any,
    per_page: Any,
    to_dict: Callable[[Iterable], list[dict]],
    sort: str,
    order: list[ColumnElement],
    descending: bool,
    after: Any = None,
    key: Any = None,
    sort_matches_up_to: int = 0,
    count: Select | None = None,
) -> dict:
    """`page_of` for a query ordered by `order` (the sort's columns, the last one unique: the
    id), all ascending or all `descending`; the page also answers `next_cursor`. With `after`
    (a `next_cursor` this list answered for the same `sort`), the page after that cursor's row,
    found by seeking in the index rather than by OFFSET; `page` is then the cursor's. When at
    most `sort_matches_up_to` rows match, they are sorted rather than found along the index.
    `count`: a cheaper query answering how many rows `query` has (the total), if there is one."""
    _, per_page = paging(1, per_page)
    total = session.scalar(count if count is not None else count_query(query))
    if total <= sort_matches_up_to:
        # Few rows match (a search for a rare word): sort them, rather than let the planner
        # walk the sort's index hoping to meet them early (its estimate of a search's matches
        # is a guess; the count is not). coalesce(x, x) is x, but no index provides it.
        order = [func.coalesce(column, column) for column in order]
        query = query.order_by(None).order_by(*(c.desc() if descending else c for c in order))
    keys = [column.label(f"_seek{i}") for i, column in enumerate(order)]
    if after:
        page, values = _decode_cursor(after, sort, len(order))
        typed = [
            literal(v) if column.type._isnull else cast(literal(v), column.type)
            for v, column in zip(values, order, strict=True)
        ]
        position = tuple_(*order), tuple_(*typed)
        query = query.where(position[0] < position[1] if descending else position[0] > position[1])
        offset = 0
    else:
        page, per_page = paging(page, per_page)
        offset = (page - 1) * per_page
    if key is not None and offset:
        # a deep page by number: the page's keys alone are sorted and skipped (see page_of)
        found = query.with_only_columns(key, maintain_column_froms=True)
        found = _sliced(found, offset, per_page + 1).scalar_subquery()
        rows = session.execute(query.add_columns(*keys).where(key.in_(found))).all()
    else:
        rows = session.execute(_sliced(query.add_columns(*keys), offset, per_page + 1)).all()
    more, rows = len(rows) > per_page, rows[:per_page]
    width = len(keys)
    next_cursor = None
    if more:
        next_cursor = _encode_cursor(sort, page + 1, list(rows[-1][-width:]))
    items = to_dict([tuple(row[:-width]) for row in rows])
    return {
        "items": items,
        "total": total,
        "page": page,
        "per_page": per_page,
        "next_cursor": next_cursor,
    }
