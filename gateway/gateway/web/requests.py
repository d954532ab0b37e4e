"""The team's Requests inbox: every client's requests with filters (status, client, assignee,
account manager, unread), a request's page with its thread (replies the client sees, internal
notes it never does, status changes, files), status and assignment; and the inbox's counts in
the navigation."""

from __future__ import annotations

import logging

from flask import Blueprint, g, render_template, request, url_for

from gateway import auth
from gateway.api.request_schemas import AssignRequest, CommentCreateRequest, RequestStatusRequest
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import TooLarge, attachment_files, attachment_response
from gateway.web import client_forms
from gateway.web.forms import Form, done, form_failed, read_form
from kit import permissions, vocabulary
from kit.errors import DomainError, ValidationError

log = logging.getLogger(__name__)

bp = Blueprint("requests", __name__, url_prefix="/requests")

STATUS_FILTERS = {
    "open_any": "Open and in progress",
    "": "Any status",
    **{status: status.replace("_", " ").capitalize() for status in vocabulary.REQUEST_STATUSES},
}


def request_counts() -> dict | None:
    """The signed-in team member's inbox numbers for the navigation, once per page."""
    if "request_counts" not in g:
        g.request_counts = None
        who = auth.principal()
        if (
            who
            and who.get("kind") == "user"
            and permissions.VIEW_CLIENTS in (who.get("permissions") or [])
            and not auth.is_api_request()
        ):
            try:
                g.request_counts = services.clients.count_requests()
            except DomainError as exc:  # the page can do without its badge
                log.warning("no request counts for %s: %s", request.path, exc.message)
    return g.request_counts


@bp.app_context_processor
def counts_context() -> dict:
    return {"request_counts": request_counts}


def _filters() -> dict:
    """The inbox's filters from the query string (anything unknown is dropped)."""
    args = request.args
    status = args.get("status", "open_any")
    me = (auth.principal() or {}).get("principal_id")
    assignee = args.get("assignee_id") or ""
    return {
        "status": status if status in STATUS_FILTERS else "open_any",
        "client_id": args.get("client_id") or None,
        "assignee_id": me if assignee == "me" else (assignee or None),
        "account_manager_id": args.get("account_manager_id") or None,
        "unread": args.get("unread") == "1",
    }


@bp.get("/")
@permission_required(permissions.VIEW_CLIENTS)
def index():
    """Every client's requests, the most recently active first."""
    filters = _filters()
    query = {key: value for key, value in filters.items() if value}
    page = services.clients.list_requests(page=client_forms.page_number(), per_page=25, **query)
    users = client_forms.team_users()
    assignees = [r["assignee_id"] for r in page["items"] if r["assignee_id"]]
    return render_template(
        "requests/index.html",
        title="Requests",
        requests=page,
        filters={**filters, "assignee_id": request.args.get("assignee_id", "")},
        status_filters=STATUS_FILTERS,
        clients=client_forms.client_choices(),
        users=users,
        names=client_forms.user_names(assignees),
        page_url=client_forms.page_url,
    )


def _page_context(request_id: str) -> dict:
    item = services.clients.get_request(request_id)
    ids = [item["assignee_id"], *item.get("account_manager_ids", [])]
    return {
        "title": item["title"],
        "item": item,
        "users": client_forms.team_users(),
        "names": client_forms.user_names([i for i in ids if i]),
        "statuses": vocabulary.REQUEST_STATUSES,
    }


@bp.get("/<request_id>")
@permission_required(permissions.VIEW_CLIENTS)
def show(request_id: str):
    """A request and its thread; opening it marks it read for you."""
    return render_template("requests/show.html", form=Form(), **_page_context(request_id))


@bp.post("/<request_id>/comments")
@permission_required(permissions.EDIT_CLIENTS)
def comment(request_id: str):
    """A reply the client sees (and is e-mailed about), or an internal note (`kind=note`)."""
    internal = request.form.get("kind") == "note"
    form = read_form(CommentCreateRequest())
    try:
        body = form.valid_data()
        files = _files()
        services.clients.add_request_comment(
            request_id, body=body.get("body", ""), internal=internal, attachments=files
        )
    except DomainError as exc:
        return form_failed("requests/show.html", form, exc, **_page_context(request_id))
    message = "Internal note added." if internal else "Reply sent to the client."
    return done(message, url_for(".show", request_id=request_id) + "#thread-end")


def _files() -> list[dict]:
    try:
        return attachment_files(request.files.getlist("attachments"))
    except TooLarge as exc:  # on the page it is the file box's error, not a 413 page
        raise ValidationError(exc.message, exc.fields) from None


@bp.post("/<request_id>/status")
@permission_required(permissions.EDIT_CLIENTS)
def set_status(request_id: str):
    """Move the request to another status (the client is told)."""
    status = read_form(RequestStatusRequest()).valid_data()["status"]
    services.clients.set_request_status(request_id, status)
    return done(
        f"Status set to {status.replace('_', ' ')}.", url_for(".show", request_id=request_id)
    )


@bp.post("/<request_id>/assign")
@permission_required(permissions.EDIT_CLIENTS)
def assign(request_id: str):
    """Assign the request to a team member, or to nobody."""
    chosen = request.form.get("assignee_id") or None
    body = AssignRequest().load({"assignee_id": chosen})
    item = services.clients.assign_request(request_id, body["assignee_id"])
    names = client_forms.user_names([item["assignee_id"]] if item["assignee_id"] else [])
    message = (
        f"Assigned to {names.get(item['assignee_id'], 'the chosen team member')}."
        if item["assignee_id"]
        else "Nobody is assigned any more."
    )
    return done(message, url_for(".show", request_id=request_id))


@bp.get("/<request_id>/files/<attachment_id>")
@permission_required(permissions.VIEW_CLIENTS)
def download(request_id: str, attachment_id: str):
    """A file of the request or its thread, as a download."""
    return attachment_response(services.clients.get_request_attachment(request_id, attachment_id))
