"""One page of a list, the shape every list answers: `{"items", "total", "page", "per_page"}`."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import Select, func, select
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
        keys = keys.offset(offset).limit(per_page).scalar_subquery()
        rows = session.execute(query.where(key.in_(keys))).all()
    else:
        rows = session.execute(query.offset(offset).limit(per_page)).all()
    return {"items": to_dict(rows), "total": total, "page": page, "per_page": per_page}
