"""The Contacts tab: every client's contacts in one searchable list, add and edit a contact
(move it to another client), delete (archive) and restore it, avatars, portal invitations,
CSV import."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.auth import can, permission_required
from gateway.rpc import services
from gateway.uploads import picture_response
from gateway.web import client_forms, imports
from gateway.web.forms import done
from kit import permissions
from kit.errors import DomainError, PermissionDenied

bp = Blueprint("contacts", __name__, url_prefix="/contacts")

CLIENT_STATUSES = {"": "Any client status", "active": "Active clients", "inactive": "Inactive"}


def _client_choices() -> list[dict]:
    """Every live client, by name, for the client selects."""
    page = services.clients.list_clients(sort="name", per_page=100)
    clients = page["items"]
    number = 1
    while len(clients) < page["total"] and number < 50:
        number += 1
        page = services.clients.list_clients(sort="name", per_page=100, page=number)
        clients += page["items"]
    return clients


@bp.get("/")
@permission_required("view_clients")
def index():
    """Contacts across all clients: search, filters, sort, pages."""
    args = request.args
    sort = args.get("sort") if args.get("sort") in client_forms.CONTACT_SORTS else "-created_at"
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
        sorts=client_forms.CONTACT_SORTS,
        statuses=CLIENT_STATUSES,
        status=status,
        clients=_client_choices(),
        tags=services.clients.list_tags(),
        users=client_forms.team_users(),
        page_url=client_forms.page_url,
    )


def _contact_form_data() -> dict:
    form = request.form
    return {
        "name": form.get("name", ""),
        "email": form.get("email", ""),
        "position": form.get("position", ""),
        "phone": form.get("phone", ""),
        "tags": client_forms.tags_of(form),
    }


@bp.route("/new", methods=["GET", "POST"])
@permission_required("create_clients")
def new():
    """Add a contact: to a chosen client, or to a client created here by name."""
    clients = _client_choices()
    values: dict = {"client_id": request.args.get("client_id", "")}
    if len(clients) == 1 and not values["client_id"]:
        values["client_id"] = clients[0]["id"]
    if request.method == "POST":
        values = _contact_form_data()
        form = request.form
        values.update(
            client_id=form.get("client_id", ""),
            new_client=form.get("new_client", "").strip(),
            invite=bool(form.get("invite")),
            invitation_message=form.get("invitation_message", ""),
        )
        call = dict(values)
        if call["client_id"] == "__new__" or (call["new_client"] and not call["client_id"]):
            call["client_id"] = None
        else:
            call["new_client"] = None
        try:
            call["avatar_base64"] = client_forms.form_picture("avatar")
            contact = services.clients.create_contact(**call)
        except DomainError as exc:
            return client_forms.form_failed(
                "contacts/form.html", exc, values=values, clients=clients, contact=None
            )
        message = f"Contact {contact['name']} added."
        if contact.get("invitation"):
            message += f" A portal invitation was sent to {contact['email']}."
        return done(message, url_for(".show", contact_id=contact["id"]))
    return render_template(
        "contacts/form.html",
        title="Add contact",
        values=values,
        clients=clients,
        contact=None,
        errors={},
    )


@bp.route("/<contact_id>", methods=["GET", "POST"])
@permission_required("view_clients")
def show(contact_id: str):
    """A contact's card and its edit form (every field, and its client)."""
    contact = services.clients.get_contact(contact_id)
    clients = _client_choices()
    values = dict(contact)
    if request.method == "POST":
        if not can("edit_clients"):
            raise PermissionDenied("Your role lacks the permission edit_clients.")
        values = _contact_form_data()
        values["client_id"] = request.form.get("client_id") or contact["client_id"]
        try:
            changes = client_forms.picture_change("avatar", "remove_avatar")
            services.clients.update_contact(contact_id, **values, **changes)
        except DomainError as exc:
            return client_forms.form_failed(
                "contacts/form.html",
                exc,
                values=values,
                clients=clients,
                contact=contact,
                invitation=_pending_invitation(contact_id),
            )
        return done("Contact saved.", url_for(".show", contact_id=contact_id))
    return render_template(
        "contacts/form.html",
        title=contact["name"],
        values=values,
        clients=clients,
        contact=contact,
        invitation=_pending_invitation(contact_id),
        errors={},
    )


def _pending_invitation(contact_id: str) -> dict | None:
    """The contact's invitation still waiting for an answer (its newest), if any."""
    newest = services.clients.list_invitations(status=None, contact_id=contact_id, per_page=1)
    invitation = next(iter(newest["items"]), None)
    return invitation if invitation and invitation["status"] in ("pending", "expired") else None


@bp.get("/<contact_id>/avatar")
@permission_required("view_clients")
def avatar(contact_id: str):
    """The contact's picture, fetched from the clients service."""
    return picture_response(services.clients.get_avatar(contact_id))


@bp.post("/<contact_id>/invitation")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def invite(contact_id: str):
    """Send (or send again, with a new link) the portal invitation."""
    invitation = services.clients.invite_contact(
        contact_id, request.form.get("invitation_message") or None
    )
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
@permission_required("delete_clients")
def archive(contact_id: str):
    """ "Delete": archive the contact (its history stays; its portal login is disabled)."""
    contact = services.clients.archive_contact(contact_id)
    message = f"{contact['name']} was archived. Their history is kept."
    return done(message, url_for(".index"))


@bp.post("/<contact_id>/restore")
@permission_required("delete_clients")
def restore(contact_id: str):
    """Bring an archived contact back."""
    contact = services.clients.restore_contact(contact_id)
    return done(f"{contact['name']} was restored.", url_for(".show", contact_id=contact_id))


imports.register(bp, "contacts")
