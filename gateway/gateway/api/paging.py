"""The one shape of every list the API answers: `{"items", "total", "page", "per_page"}`, asked
for with `page` and `per_page`. The lists that can be long (clients, contacts) also answer
`next_cursor` and take `after` (`SeekPageQuery`, `SeekPage`): the next page by seeking in the
sort's index from the last row, as fast on page 2,000 as on page 2 (kit.paging.seek_page_of).

Lists that grow without bound (clients, contacts, requests, invitations, the reveal audit) are
paged by their service; the short lists a service answers whole (the team's users, roles,
tokens, custom fields, tags, a client's vault) are paged here by `page_of`.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.schema_fields import Length, Range, Schema

PER_PAGE = Range(min=1, max=100)
PAGE = Range(min=1, max=100_000)  # the services' MAX_PAGE: far past any real list


class PageQuery(Schema):
    page = fields.Int(load_default=1, validate=PAGE)
    per_page = fields.Int(load_default=25, validate=PER_PAGE)


class SeekPageQuery(PageQuery):
    after = fields.Str(
        validate=Length(max=2000),
        metadata={
            "description": "A page's next_cursor: the page after it, with the same filters and "
            "sort (page is then ignored; a deep page is as fast as the first)"
        },
    )


class Page(Schema):
    """What every list answers around its items (a subclass names the items' schema)."""

    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()


class SeekPage(Page):
    """A page of a list that can also be read by cursor (`SeekPageQuery`)."""

    next_cursor = fields.Str(
        allow_none=True,
        metadata={
            "description": "Pass as after= for the next page; null on the last page. Opaque: "
            "a position in the list (rows added or removed meanwhile fall as they fall; none "
            "is repeated or skipped); total is counted afresh with every page"
        },
    )


def page_of(items: list, page: int = 1, per_page: int = 25) -> dict:
    """One page of a list a service answered whole, in the shape every list answers."""
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "total": len(items),
        "page": page,
        "per_page": per_page,
    }
