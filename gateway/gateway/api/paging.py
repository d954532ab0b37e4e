"""The one shape of every list the API answers: `{"items", "total", "page", "per_page"}`, asked
for with `page` and `per_page`.

Lists that grow without bound (clients, contacts, requests, invitations, the reveal audit) are
paged by their service; the short lists a service answers whole (the team's users, roles,
tokens, custom fields, tags, a client's vault) are paged here by `page_of`.
"""

from __future__ import annotations

from marshmallow import fields

from gateway.api.schema_fields import Range, Schema

PER_PAGE = Range(min=1, max=100)
PAGE = Range(min=1, max=100_000)  # the services' MAX_PAGE: far past any real list


class PageQuery(Schema):
    page = fields.Int(load_default=1, validate=PAGE)
    per_page = fields.Int(load_default=25, validate=PER_PAGE)


class Page(Schema):
    """What every list answers around its items (a subclass names the items' schema)."""

    total = fields.Int()
    page = fields.Int()
    per_page = fields.Int()


def page_of(items: list, page: int = 1, per_page: int = 25) -> dict:
    """One page of a list a service answered whole, in the shape every list answers."""
    start = (page - 1) * per_page
    return {
        "items": items[start : start + per_page],
        "total": len(items),
        "page": page,
        "per_page": per_page,
    }
