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


def page_of(
    session: Session,
    query: Select,
    page: Any,
    per_page: Any,
    to_dict: Callable[[Iterable], list[dict]],
) -> dict:
    """One page of an ordered query: `{"items", "total", "page", "per_page"}`; `to_dict` turns
    the page's rows into its items (all at once, so it can look things up for the whole page)."""
    page, per_page = paging(page, per_page)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.offset((page - 1) * per_page).limit(per_page)).all()
    return {"items": to_dict(rows), "total": total, "page": page, "per_page": per_page}
