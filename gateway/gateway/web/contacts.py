"""The Contacts tab: every client's contacts in one searchable list, add and edit a contact
(move it to another client), delete (archive) and restore it, avatars, portal invitations,
CSV import."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.api.contact_schemas import (
    ContactCreateRequest,
    ContactUpdateRequest,
    InvitationRequest,
)
from gateway.auth import permission_required, require
from gateway.rpc import services
from gateway.uploads import picture_response
from gateway.web import client_forms, imports
from gateway.web.forms import (
    Form,
    done,
    form_failed,
    form_picture,
    picture_change,
    read_form,
    show_form,
)
from kit import permissions, vocabulary
from kit.errors import DomainError

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

NEW_CLIENT = "__new__"  # the client select's "Create a new client" choice
# The service names a picture by the field it is sent in; the page by its file box.
PICTURE_FIELDS = {"avatar_base64": "avatar"}
CLIENT_STATUSES = {"": "Any client status", "active": "Active clients", "inactive": "Inactive"}


@bp.get("/")
@permission_required(permissions.VIEW_CLIENTS)
def index():
    """Contacts across all clients: search, filters, sort, pages."""
    args = request.args
    sort = (
        args.get("sort")
        if args.get("sort") in vocabulary.CONTACT_SORTS
        else vocabulary.DEFAULT_SORT
    )
    status = args.get("status") if args.get("status") in CLIENT_STATUSES else ""
    page = services.clients.list_contacts(
        q=args.get("q") or None,
        client_id=args.get("client_id") or None,
        tag=args.get("tag") or None,
        account_manager_id=args.get("account_manager_id") or None,
        status=status or None,
        sort=sort,
        page=client_forms.page_number(),
        per_page=client_forms.PER_PAGE,
    )
    return render_template(
        "contacts/index.html",
        title="Contacts",
        page=page,
        sort=sort,
        sorts=vocabulary.CONTACT_SORTS,
        statuses=CLIENT_STATUSES,
        status=status,
        clients=client_forms.client_choices(),
        tags=services.clients.list_tags(),
        users=client_forms.team_users(),
        page_url=client_forms.page_url,
    )


def _chosen_client() -> dict:
    """The contact's client as the form gives it: one chosen, or a new one by its name (the
    "__new__" choice, or a name typed with no client chosen)."""
    client_id = request.form.get("client_id", "")
    new_client = request.form.get("new_client", "").strip()
    if client_id == NEW_CLIENT or (new_client and not client_id):
        return {"client_id": None, "new_client": new_client}
    return {"client_id": client_id or None, "new_client": None}


@bp.route("/new", methods=["GET", "POST"])
@permission_required(permissions.CREATE_CLIENTS)
def new():
    """Add a contact: to a chosen client, or to a client created here by name."""
    clients = client_forms.client_choices()
    context = {"title": "Add contact", "clients": clients, "contact": None}
    if request.method == "GET":
        client_id = request.args.get("client_id", "")
        if len(clients) == 1 and not client_id:
            client_id = clients[0]["id"]
        return show_form("contacts/form.html", Form({"client_id": client_id}), **context)
    form = read_form(ContactCreateRequest(), comma_lists=("tags",), extra=_chosen_client())
    try:
        body = form.valid_data()
        contact = services.clients.create_contact(**body, avatar_base64=form_picture("avatar"))
    except DomainError as exc:
        return form_failed("contacts/form.html", form, exc, PICTURE_FIELDS, **context)
    message = f"Contact {contact['name']} added."
    if contact.get("invitation"):
        message += f" A portal invitation was sent to {contact['email']}."
    return done(message, url_for(".show", contact_id=contact["id"]))


@bp.route("/<contact_id>", methods=["GET", "POST"])
@permission_required(permissions.VIEW_CLIENTS)
def show(contact_id: str):
    """A contact's card and its edit form (every field, and its client)."""
    contact = services.clients.get_contact(contact_id)
    context = {
        "title": contact["name"],
        "clients": client_forms.client_choices(),
        "contact": contact,
        "invitation": _pending_invitation(contact_id),
        "contact_requests": services.clients.list_requests(contact_id=contact_id, per_page=10),
    }
    if request.method == "GET":
        return show_form("contacts/form.html", Form(dict(contact)), **context)
    require(permissions.EDIT_CLIENTS)
    form = read_form(
        ContactUpdateRequest(),
        comma_lists=("tags",),
        required=("name", "email"),
        extra={"client_id": request.form.get("client_id") or contact["client_id"]},
    )
    try:
        changes = picture_change("avatar", "remove_avatar")
        services.clients.update_contact(contact_id, **form.valid_data(), **changes)
    except DomainError as exc:
        return form_failed("contacts/form.html", form, exc, PICTURE_FIELDS, **context)
    return done("Contact saved.", url_for(".show", contact_id=contact_id))


def _pending_invitation(contact_id: str) -> dict | None:
    """The contact's invitation still waiting for an answer (its newest), if any."""
    newest = services.clients.list_invitations(status=None, contact_id=contact_id, per_page=1)
    invitation = next(iter(newest["items"]), None)
    return invitation if invitation and invitation["status"] in ("pending", "expired") else None


@bp.get("/<contact_id>/avatar")
@permission_required(permissions.VIEW_CLIENTS)
def avatar(contact_id: str):
    """The contact's picture, fetched from the clients service."""
    return picture_response(services.clients.get_avatar(contact_id))


@bp.post("/<contact_id>/invitation")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def invite(contact_id: str):
    """Send (or send again, with a new link) the portal invitation."""
    message = read_form(InvitationRequest()).valid_data().get("message") or None
    invitation = services.clients.invite_contact(contact_id, message)
    return done(
        f"Portal invitation sent to {invitation['email']}.",
        client_forms.safe_next(url_for(".show", contact_id=contact_id)),
    )


@bp.post("/<contact_id>/invitation/cancel")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def cancel_invitation(contact_id: str):
    """Cancel the contact's pending invitation: its link stops working."""
    services.clients.cancel_contact_invitation(contact_id)
    return done(
        "Invitation cancelled.", client_forms.safe_next(url_for(".show", contact_id=contact_id))
    )


@bp.post("/<contact_id>/archive")
@permission_required(permissions.DELETE_CLIENTS)
def archive(contact_id: str):
    """ "Delete": archive the contact (its history stays; its portal login is disabled)."""
    contact = services.clients.archive_contact(contact_id)
    message = f"{contact['name']} was archived. Their history is kept."
    return done(message, url_for(".index"))


@bp.post("/<contact_id>/restore")
@permission_required(permissions.DELETE_CLIENTS)
def restore(contact_id: str):
    """Bring an archived contact back."""
    contact = services.clients.restore_contact(contact_id)
    return done(f"{contact['name']} was restored.", url_for(".show", contact_id=contact_id))


imports.register(bp, "contacts")
