"""The Clients tab: active/inactive lists, add and edit a client, its profile (contacts,
requests, credential vault), status and archive, logos, custom field settings, CSV import."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.auth import can, permission_required
from gateway.rpc import services
from gateway.uploads import picture_response
from gateway.web import client_forms, imports
from gateway.web.forms import done
from kit import permissions, vocabulary
from kit.errors import DomainError, PermissionDenied

bp = Blueprint("clients", __name__, url_prefix="/clients")

PROFILE_TABS = ("details", "contacts", "requests", "vault")


@bp.get("/")
@permission_required(permissions.VIEW_CLIENTS)
def index():
    """Active or inactive clients, searched, filtered, sorted and paged."""
    args = request.args
    status = args.get("status") if args.get("status") in vocabulary.LIST_STATUSES else "active"
    sort = (
        args.get("sort") if args.get("sort") in vocabulary.CLIENT_SORTS else vocabulary.DEFAULT_SORT
    )
    fields = client_forms.custom_fields()
    field_filter = {}
    if args.get("field") and args.get("value", "").strip():
        field_filter = {args["field"]: args["value"].strip()}
    page = services.clients.list_clients(
        q=args.get("q") or None,
        status=status,
        tag=args.get("tag") or None,
        account_manager_id=args.get("account_manager_id") or None,
        custom_fields=field_filter or None,
        sort=sort,
        page=client_forms.page_number(),
        per_page=client_forms.PER_PAGE,
    )
    users = client_forms.team_users()
    return render_template(
        "clients/index.html",
        title="Clients",
        page=page,
        status=status,
        sort=sort,
        sorts=vocabulary.CLIENT_SORTS,
        tags=services.clients.list_tags(),
        users=users,
        names={u["id"]: u["name"] for u in users},
        fields=fields,
        page_url=client_forms.page_url,
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(permissions.CREATE_CLIENTS)
def new():
    """The "Add client" form."""
    fields = client_forms.custom_fields()
    values: dict = {}
    if request.method == "POST":
        values = client_forms.client_form_data(fields)
        try:
            logo = client_forms.form_picture("logo")
            client = services.clients.create_client(**values, logo_base64=logo)
        except DomainError as exc:
            return client_forms.form_failed(
                "clients/form.html", exc, values=values, fields=fields, client=None
            )
        return done(f"Client {client['name']} added.", url_for(".show", client_id=client["id"]))
    return render_template(
        "clients/form.html",
        title="Add client",
        client=None,
        values=values,
        fields=fields,
        users=client_forms.team_users(),
        errors={},
    )


@bp.route("/<client_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.EDIT_CLIENTS)
def edit(client_id: str):
    """Edit a client's details, logo, tags, custom fields and account managers."""
    client = services.clients.get_client(client_id)
    fields = client_forms.custom_fields()
    values = dict(client)
    if request.method == "POST":
        values = client_forms.client_form_data(fields)
        try:
            changes = client_forms.picture_change("logo", "remove_logo")
            services.clients.update_client(client_id, **values, **changes)
        except DomainError as exc:
            return client_forms.form_failed(
                "clients/form.html", exc, values=values, fields=fields, client=client
            )
        return done("Client saved.", url_for(".show", client_id=client_id))
    return render_template(
        "clients/form.html",
        title=f"Edit {client['name']}",
        client=client,
        values=values,
        fields=fields,
        users=client_forms.team_users(),
        errors={},
    )


@bp.get("/<client_id>")
@permission_required(permissions.VIEW_CLIENTS)
def show(client_id: str):
    """A client's profile, with its contacts, requests or vault as tabs."""
    tab = request.args.get("tab") if request.args.get("tab") in PROFILE_TABS else "details"
    return _profile(client_id, tab)


def _profile(client_id: str, tab: str, revealed: dict | None = None, status: int = 200):
    client = services.clients.get_client(client_id)
    context = {
        "client": client,
        "tab": tab,
        "fields": client_forms.custom_fields(),
        "names": client_forms.user_names(client["account_manager_ids"]),
        "request_statuses": vocabulary.REQUEST_STATUSES,
        "revealed": revealed,
        "page_url": client_forms.page_url,
    }
    if tab == "contacts":
        context["contacts"] = services.clients.list_contacts(
            client_id=client_id,
            status="archived" if client["archived"] else None,
            sort="name",
            page=client_forms.page_number(),
            per_page=100,
        )
    elif tab == "requests":
        context["requests"] = services.clients.list_requests(
            client_id=client_id, page=client_forms.page_number(), per_page=50
        )
    elif tab == "vault":
        context["entries"] = services.clients.list_vault_entries(client_id)
    response = render_template("clients/show.html", title=client["name"], **context)
    return response, status


@bp.post("/<client_id>/status")
@permission_required(permissions.EDIT_CLIENTS)
def set_status(client_id: str):
    """Switch a client between active and inactive."""
    client = services.clients.set_client_status(client_id, request.form.get("status", ""))
    message = f"{client['name']} is now {client['status']}."
    return done(message, url_for(".show", client_id=client_id))


@bp.post("/<client_id>/archive")
@permission_required(permissions.DELETE_CLIENTS)
def archive(client_id: str):
    """ "Delete": archive the client (its history stays)."""
    client = services.clients.archive_client(client_id)
    message = f"{client['name']} was archived. Its contacts and history are kept."
    return done(message, url_for(".index"))


@bp.post("/<client_id>/restore")
@permission_required(permissions.DELETE_CLIENTS)
def restore(client_id: str):
    """Bring an archived client back."""
    client = services.clients.restore_client(client_id)
    return done(f"{client['name']} was restored.", url_for(".show", client_id=client_id))


@bp.get("/<client_id>/logo")
@permission_required(permissions.VIEW_CLIENTS)
def logo(client_id: str):
    """The client's logo image, fetched from the clients service."""
    return picture_response(services.clients.get_logo(client_id))


# --- requests ------------------------------------------------------------------------------


@bp.post("/<client_id>/requests/<request_id>/status")
@permission_required(permissions.EDIT_CLIENTS)
def set_request_status(client_id: str, request_id: str):
    """Move a client's request to another status."""
    services.clients.set_request_status(request_id, request.form.get("status", ""))
    return done("Request status changed.", url_for(".show", client_id=client_id, tab="requests"))


@bp.route("/<client_id>/requests/new", methods=["GET", "POST"])
@permission_required(permissions.EDIT_CLIENTS)
def new_request(client_id: str):
    """Log a request on the client's behalf (from one of its contacts, or none)."""
    client = services.clients.get_client(client_id)
    contacts = services.clients.list_contacts(client_id=client_id, sort="name", per_page=100)
    context = {"client": client, "contacts": contacts["items"], "title": "New request"}
    values = request.form
    if request.method == "POST":
        try:
            services.clients.create_request(
                client_id,
                title=values.get("title", ""),
                description=values.get("description", ""),
                service_name=values.get("service_name") or None,
                contact_id=values.get("contact_id") or None,
            )
        except DomainError as exc:
            return client_forms.form_failed(
                "clients/request_form.html", exc, values=values, **context
            )
        return done("Request logged.", url_for(".show", client_id=client_id, tab="requests"))
    return render_template("clients/request_form.html", values={}, errors={}, **context)


# --- credential vault ----------------------------------------------------------------------


@bp.post("/<client_id>/vault")
@permission_required(permissions.EDIT_CLIENTS)
def add_vault_entry(client_id: str):
    """Store a credential of the client."""
    form = request.form
    services.clients.create_vault_entry(
        client_id,
        label=form.get("label", ""),
        url=form.get("url", ""),
        username=form.get("username", ""),
        password=form.get("password", ""),
        notes=form.get("notes", ""),
    )
    return done("Credential stored.", url_for(".show", client_id=client_id, tab="vault"))


@bp.post("/<client_id>/vault/<entry_id>/reveal")
@permission_required(permissions.VIEW_VAULT)
def reveal(client_id: str, entry_id: str):
    """Show one password once; the service records who saw it."""
    secret = services.clients.reveal_vault_password(client_id, entry_id)
    response, status = _profile(client_id, "vault", revealed=secret)
    return response, status, {"Cache-Control": "no-store"}


@bp.get("/vault/reveals")
@permission_required(permissions.VIEW_VAULT)
def reveals():
    """Who revealed which password, and when."""
    client_id = request.args.get("client_id") or None
    audit = services.clients.list_vault_reveals(client_id=client_id, limit=500)
    return render_template(
        "clients/reveals.html",
        title="Vault reveals",
        audit=audit,
        names=client_forms.user_names(),
        page_url=client_forms.page_url,
    )


# --- custom fields -------------------------------------------------------------------------


@bp.route("/custom-fields", methods=["GET", "POST"])
@permission_required(permissions.VIEW_CLIENTS)
def custom_fields():
    """The agency's custom client fields; defining them needs manage_client_organizations."""
    if request.method == "POST":
        if not can(permissions.MANAGE_CLIENT_ORGANIZATIONS):
            raise PermissionDenied("Your role lacks the permission manage_client_organizations.")
        choices = [c.strip() for c in request.form.get("choices", "").split(",") if c.strip()]
        field = services.clients.define_custom_field(
            name=request.form.get("name", ""),
            type=request.form.get("type", ""),
            choices=choices or None,
        )
        return done(f"Custom field {field['name']} added.", url_for(".custom_fields"))
    return render_template(
        "clients/custom_fields.html",
        title="Custom fields",
        fields=client_forms.custom_fields(),
        types=vocabulary.FIELD_TYPES,
    )


@bp.post("/custom-fields/<field_id>/delete")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def delete_custom_field(field_id: str):
    """Remove a custom field and its values."""
    services.clients.delete_custom_field(field_id)
    return done("Custom field removed.", url_for(".custom_fields"))


# --- CSV import ----------------------------------------------------------------------------

imports.register(bp, "clients")
