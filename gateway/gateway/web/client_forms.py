"""What the client, contact and portal pages share: the client form, the team's users, the
agency's clients and custom fields for the selects, and a page's query string."""

from __future__ import annotations

import contextlib

from flask import request, url_for
from marshmallow import Schema

from gateway.auth import can
from gateway.redirects import local_path
from gateway.rpc import services
from gateway.web.forms import Form, read_form
from kit import permissions
from kit.errors import DomainError, PermissionDenied, ValidationError

PER_PAGE = 25


def team_users() -> list[dict]:
    """The agency's active users (account manager choices); empty if the role may not list them."""
    try:
        return services.identity.list_users(status="active")
    except PermissionDenied:
        return []


def client_choices() -> list[dict]:
    """The agency's live clients (`{"id", "name"}`, by name) for a page's client select or
    filter: one call however many they are; none when the role may not list clients."""
    if not can(permissions.VIEW_CLIENTS):
        return []
    return services.clients.client_names()


def user_names(ids: list[str] | None = None) -> dict[str, str]:
    """User id -> name, for showing account managers."""
    users = team_users()
    names = {u["id"]: u["name"] for u in users}
    missing = [i for i in ids or [] if i not in names]
    if missing:
        with contextlib.suppress(DomainError):  # names are a nicety; ids still show
            names.update({u["id"]: u["name"] for u in services.identity.users_by_ids(missing)})
    return names


def custom_fields() -> list[dict]:
    return services.clients.list_custom_fields()


def custom_values(fields: list[dict]) -> dict:
    """`cf_<field id>` inputs as {field_id: value}; an empty input clears the value."""
    return {f["id"]: request.form.get(f"cf_{f['id']}", "").strip() or None for f in fields}


def read_client_form(schema: Schema, fields: list[dict], required: tuple[str, ...] = ()) -> Form:
    """The add or edit client form: tags in one box, account managers ticked, custom fields."""
    return read_form(
        schema,
        lists=("account_manager_ids",),
        comma_lists=("tags",),
        required=required,
        extra={"custom_fields": custom_values(fields)},
    )


def filtered_list(lister, aliases: dict[str, str], **filters) -> tuple[dict, Form, int]:
    """A list page's results for its filters (with the filter form as typed), or, when a filter
    is refused (a number field searched with a word), no results and the message under that
    filter's box, on the same page (422) rather than an error page."""
    form = Form(values=request.args.to_dict())
    try:
        return lister(**filters), form, 200
    except ValidationError as exc:
        form.refuse(exc, aliases)
        # the service's sentence ("Staff must be a number.") names the field; its terse
        # field message ("not a number") is for programs
        form.errors = {name: [exc.message] for name in form.errors}
        empty = {"items": [], "total": 0, "page": 1, "per_page": PER_PAGE}
        return empty, form, exc.http_status


def page_url(endpoint: str, **changes) -> str:
    """The current page's URL with some query arguments changed (None drops one)."""
    args = request.args.to_dict()
    args.update(request.view_args or {})
    for key, value in changes.items():
        if value in (None, ""):
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(endpoint, **args)


MAX_PAGE = 100_000  # the clients service's


def page_number() -> int:
    """The `page` query argument, 1..MAX_PAGE; anything else is the first page."""
    try:
        return min(max(int(request.args.get("page", 1)), 1), MAX_PAGE)
    except ValueError:
        return 1


def safe_next(default: str) -> str:
    """The form's `next` address if it stays on this site, else `default`."""
    return local_path(request.form.get("next") or request.args.get("next")) or default
