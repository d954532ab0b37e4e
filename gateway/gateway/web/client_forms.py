"""What the client, contact and portal pages share: reading their forms, the team's users and
custom fields for the selects, and a page's query string."""

from __future__ import annotations

import contextlib

from flask import flash, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from gateway.redirects import local_path
from gateway.rpc import services
from gateway.uploads import TooLarge, picture_base64
from kit.errors import DomainError, PermissionDenied, ValidationError

PER_PAGE = 25


def team_users() -> list[dict]:
    """The agency's active users (account manager choices); empty if the role may not list them."""
    try:
        return services.identity.list_users(status="active")
    except PermissionDenied:
        return []


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


def tags_of(form: MultiDict, field: str = "tags") -> list[str]:
    return [t.strip() for t in form.get(field, "").replace(";", ",").split(",") if t.strip()]


def custom_values(form: MultiDict, fields: list[dict]) -> dict:
    """`cf_<field id>` inputs as {field_id: value}; an empty input clears the value."""
    return {f["id"]: form.get(f"cf_{f['id']}", "").strip() or None for f in fields}


def form_picture(field: str) -> str | None:
    """The uploaded picture of a form as base64; too large is a form error, not an error page."""
    try:
        return picture_base64(request.files.get(field), field)
    except TooLarge as exc:
        raise ValidationError(exc.message, exc.fields) from None


def picture_change(field: str, remove_field: str) -> dict:
    """An edit form's picture as a change: `{field}_base64` set to the upload, None when the
    remove box is ticked, or nothing when neither."""
    picture = form_picture(field)
    if picture:
        return {f"{field}_base64": picture}
    if request.form.get(remove_field):
        return {f"{field}_base64": None}
    return {}


def client_form_data(fields: list[dict]) -> dict:
    form = request.form
    return {
        "name": form.get("name", ""),
        "description": form.get("description", ""),
        "website": form.get("website", ""),
        "address": form.get("address", ""),
        "tags": tags_of(form),
        "custom_fields": custom_values(form, fields),
        "account_manager_ids": form.getlist("account_manager_ids"),
    }


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


def form_failed(template: str, exc: DomainError, **context):
    """Show a form again with what was typed and the service's messages (422/409/402).

    Not found, not allowed and unavailable are not about the form: they go to the error page.
    """
    if exc.http_status in (401, 403, 404) or exc.http_status >= 500:
        raise exc
    flash(exc.message, "danger")
    context.setdefault("users", team_users())
    context.setdefault("title", "Check the form")
    return render_template(template, errors=exc.fields, **context), exc.http_status


def safe_next(default: str) -> str:
    """The form's `next` address if it stays on this site, else `default`."""
    return local_path(request.form.get("next") or request.args.get("next")) or default
