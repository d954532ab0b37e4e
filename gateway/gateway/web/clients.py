"""The Clients tab: active/inactive lists, add and edit a client, its profile (contacts,
requests, credential vault), status and archive, logos, custom field settings, CSV import."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.api.client_schemas import (
    ClientCreateRequest,
    ClientStatusRequest,
    ClientUpdateRequest,
    CustomFieldRequest,
    CustomFieldUpdateRequest,
)
from gateway.api.request_schemas import RequestCreateRequest, RequestStatusRequest
from gateway.api.vault_schemas import VaultEntryRequest
from gateway.auth import permission_required, require
from gateway.rpc import services
from gateway.uploads import picture_response
from gateway.web import client_billing, client_forms, imports
from gateway.web.forms import (
    Form,
    done,
    form_failed,
    form_picture,
    picture_change,
    read_form,
    show_form,
)
from gateway.web.report_filters import client_figures
from kit import permissions, vocabulary
from kit.errors import DomainError, NotFound

bp = Blueprint("clients", __name__, url_prefix="/clients")

PROFILE_TABS = ("details", "contacts", "requests", "vault", *client_billing.TABS)
# The service names a picture by the field it is sent in; the page by its file box.
PICTURE_FIELDS = {"logo_base64": "logo"}


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
    # the service names a refused value by its field's id; the page has one value box
    aliases = {f"custom_fields.{f['id']}": "value" for f in fields}
    page, form, http_status = client_forms.filtered_list(
        services.clients.list_clients,
        aliases,
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
        form=form,
        page=page,
        status=status,
        sort=sort,
        sorts=vocabulary.CLIENT_SORTS,
        tags=services.clients.list_tags(),
        users=users,
        names={u["id"]: u["name"] for u in users},
        fields=fields,
        page_url=client_forms.page_url,
    ), http_status


@bp.route("/new", methods=["GET", "POST"])
@permission_required(permissions.CREATE_CLIENTS)
def new():
    """The "Add client" form."""
    fields = client_forms.custom_fields()
    if request.method == "GET":
        return show_form("clients/form.html", Form(), **_form_page(None, fields))
    form = client_forms.read_client_form(ClientCreateRequest(), fields)
    try:
        body = form.valid_data()
        client = services.clients.create_client(**body, logo_base64=form_picture("logo"))
    except DomainError as exc:
        return form_failed(
            "clients/form.html", form, exc, PICTURE_FIELDS, **_form_page(None, fields)
        )
    return done(f"Client {client['name']} added.", url_for(".show", client_id=client["id"]))


@bp.route("/<client_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.EDIT_CLIENTS)
def edit(client_id: str):
    """Edit a client's details, logo, tags, custom fields and account managers."""
    client = services.clients.get_client(client_id)
    fields = client_forms.custom_fields()
    if request.method == "GET":
        return show_form("clients/form.html", Form(dict(client)), **_form_page(client, fields))
    form = client_forms.read_client_form(ClientUpdateRequest(), fields, required=("name",))
    try:
        body = form.valid_data()
        services.clients.update_client(client_id, **body, **picture_change("logo", "remove_logo"))
    except DomainError as exc:
        return form_failed(
            "clients/form.html", form, exc, PICTURE_FIELDS, **_form_page(client, fields)
        )
    return done("Client saved.", url_for(".show", client_id=client_id))


def _form_page(client: dict | None, fields: list[dict]) -> dict:
    return {
        "title": f"Edit {client['name']}" if client else "Add client",
        "client": client,
        "fields": fields,
        "users": client_forms.team_users(),
    }


@bp.get("/<client_id>")
@permission_required(permissions.VIEW_CLIENTS)
def show(client_id: str):
    """A client's profile, with its contacts, requests or vault as tabs (`edit`: the vault
    entry whose values fill the side form)."""
    tab = request.args.get("tab") if request.args.get("tab") in PROFILE_TABS else "details"
    context = _profile(client_id, tab, editing=request.args.get("edit"))
    editing = context.get("editing")
    return show_form("clients/show.html", Form(dict(editing or {})), **context)


def _profile(
    client_id: str, tab: str, revealed: dict | None = None, editing: str | None = None
) -> dict:
    """What the profile page shows on `tab` (`editing`: a vault entry's id)."""
    client = services.clients.get_client(client_id)
    context = {
        "title": client["name"],
        "client": client,
        "tab": tab,
        "fields": client_forms.custom_fields(),
        "names": client_forms.user_names(client["account_manager_ids"]),
        "request_statuses": vocabulary.REQUEST_STATUSES,
        "revealed": revealed,
        "page_url": client_forms.page_url,
        "portal_ended": [] if client["archived"] else _portal_ended(client_id),
        "billing_tabs": client_billing.visible_tabs(),
    }
    if tab == "details":
        context["figures"] = client_figures(client_id)
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
        context["editing"] = next((e for e in context["entries"] if e["id"] == editing), None)
    elif tab in client_billing.TABS:
        context.update(client_billing.tab_context(client_id, tab))
    return context


@bp.post("/<client_id>/status")
@permission_required(permissions.EDIT_CLIENTS)
def set_status(client_id: str):
    """Switch a client between active and inactive."""
    status = read_form(ClientStatusRequest()).valid_data()["status"]
    client = services.clients.set_client_status(client_id, status)
    message = f"{client['name']} is now {client['status']}."
    return done(message, url_for(".show", client_id=client_id))


@bp.post("/<client_id>/archive")
@permission_required(permissions.DELETE_CLIENTS)
def archive(client_id: str):
    """ "Delete": archive the client (its history stays)."""
    client = services.clients.archive_client(client_id)
    message = (
        f"{client['name']} was archived. Its contacts and history are kept; its contacts can no "
        "longer sign in to the portal."
    )
    return done(message, url_for(".index"))


@bp.post("/<client_id>/restore")
@permission_required(permissions.DELETE_CLIENTS)
def restore(client_id: str):
    """Bring an archived client back."""
    client = services.clients.restore_client(client_id)
    message = f"{client['name']} was restored."
    ended = _portal_ended(client_id)
    if ended:
        message += (
            f" {_people(len(ended))} lost portal access when it was archived and still have "
            "none: re-invite them from the client's page."
        )
    return done(message, url_for(".show", client_id=client_id))


@bp.post("/<client_id>/reinvite")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def reinvite(client_id: str):
    """Invite again the contacts whose portal access ended when the client was archived."""
    sent = services.clients.reinvite_client_contacts(client_id)
    message = f"Portal invitation sent to {_people(len(sent))}." if sent else "Nobody to invite."
    return done(message, url_for(".show", client_id=client_id, tab="contacts"))


def _portal_ended(client_id: str) -> list[dict]:
    """The client's contacts whose portal access ended when the client was archived."""
    page = services.clients.list_contacts(client_id=client_id, per_page=100)
    return [c for c in page["items"] if c.get("portal_ended")]


def _people(count: int) -> str:
    return f"{count} contact{'s' if count != 1 else ''}"


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
    status = read_form(RequestStatusRequest()).valid_data()["status"]
    services.clients.set_request_status(request_id, status)
    return done("Request status changed.", url_for(".show", client_id=client_id, tab="requests"))


@bp.route("/<client_id>/requests/new", methods=["GET", "POST"])
@permission_required(permissions.EDIT_CLIENTS)
def new_request(client_id: str):
    """Log a request on the client's behalf (from one of its contacts, or none)."""
    client = services.clients.get_client(client_id)
    contacts = services.clients.list_contacts(client_id=client_id, sort="name", per_page=100)
    context = {"client": client, "contacts": contacts["items"], "title": "New request"}
    if request.method == "GET":
        return show_form("clients/request_form.html", Form(), **context)
    form = read_form(
        RequestCreateRequest(),
        omit_blank=("contact_id", "service_name"),
        extra={"client_id": client_id},
    )
    try:
        services.clients.create_request(**form.valid_data())
    except DomainError as exc:
        return form_failed("clients/request_form.html", form, exc, **context)
    return done("Request logged.", url_for(".show", client_id=client_id, tab="requests"))


# --- credential vault ----------------------------------------------------------------------


@bp.post("/<client_id>/vault")
@permission_required(permissions.EDIT_CLIENTS)
def add_vault_entry(client_id: str):
    """Store a credential of the client."""
    form = read_form(VaultEntryRequest())
    try:
        services.clients.create_vault_entry(client_id, **form.valid_data())
    except DomainError as exc:
        return form_failed("clients/show.html", form, exc, **_profile(client_id, "vault"))
    return done("Credential stored.", url_for(".show", client_id=client_id, tab="vault"))


@bp.post("/<client_id>/vault/<entry_id>")
@permission_required(permissions.EDIT_CLIENTS)
def edit_vault_entry(client_id: str, entry_id: str):
    """Change a credential; a password box left empty keeps the stored password."""
    form = read_form(VaultEntryRequest(), omit_blank=("password",))
    try:
        services.clients.update_vault_entry(client_id, entry_id, **form.valid_data())
    except DomainError as exc:
        context = _profile(client_id, "vault", editing=entry_id)
        return form_failed("clients/show.html", form, exc, **context)
    return done("Credential saved.", url_for(".show", client_id=client_id, tab="vault"))


@bp.post("/<client_id>/vault/<entry_id>/delete")
@permission_required(permissions.EDIT_CLIENTS)
def delete_vault_entry(client_id: str, entry_id: str):
    """Remove a credential for good."""
    services.clients.delete_vault_entry(client_id, entry_id)
    return done("Credential deleted.", url_for(".show", client_id=client_id, tab="vault"))


@bp.post("/<client_id>/vault/<entry_id>/reveal")
@permission_required(permissions.VIEW_VAULT)
def reveal(client_id: str, entry_id: str):
    """Show one password once; the service records who saw it."""
    secret = services.clients.reveal_vault_password(client_id, entry_id)
    page = show_form("clients/show.html", Form(), **_profile(client_id, "vault", revealed=secret))
    return page, 200, {"Cache-Control": "no-store"}


@bp.get("/vault/reveals")
@permission_required(permissions.VIEW_VAULT)
def reveals():
    """Who revealed which password, and when."""
    audit = services.clients.list_vault_reveals(
        client_id=request.args.get("client_id") or None,
        page=client_forms.page_number(),
        per_page=client_forms.PER_PAGE,
    )
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
    context = {
        "title": "Custom fields",
        "fields": client_forms.custom_fields(),
        "types": vocabulary.FIELD_TYPES,
    }
    if request.method == "GET":
        return show_form("clients/custom_fields.html", Form(), **context)
    require(permissions.MANAGE_CLIENT_ORGANIZATIONS)
    form = read_form(CustomFieldRequest(), comma_lists=("choices",))
    try:
        field = services.clients.define_custom_field(**form.valid_data())
    except DomainError as exc:
        return form_failed("clients/custom_fields.html", form, exc, **context)
    return done(f"Custom field {field['name']} added.", url_for(".custom_fields"))


@bp.route("/custom-fields/<field_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def edit_custom_field(field_id: str):
    """Rename a custom field, change its choices, make it required or optional."""
    field = next((f for f in client_forms.custom_fields() if f["id"] == field_id), None)
    if field is None:
        raise NotFound("No such custom field.")
    context = {"title": f"Edit {field['name']}", "field": field}
    if request.method == "GET":
        values = {k: field[k] for k in ("name", "choices", "required")}
        return show_form("clients/custom_field_form.html", Form(values), **context)
    form = read_form(CustomFieldUpdateRequest(), comma_lists=("choices",), required=("name",))
    try:
        body = form.valid_data()
        body["required"] = bool(request.form.get("required"))
        if field["type"] != "choice":
            body.pop("choices", None)
        services.clients.update_custom_field(field_id, **body)
    except DomainError as exc:
        return form_failed("clients/custom_field_form.html", form, exc, **context)
    return done(f"Custom field {body['name']} saved.", url_for(".custom_fields"))


@bp.post("/custom-fields/<field_id>/delete")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def delete_custom_field(field_id: str):
    """Remove a custom field and its values."""
    services.clients.delete_custom_field(field_id)
    return done("Custom field removed.", url_for(".custom_fields"))


# --- CSV import ----------------------------------------------------------------------------

imports.register(bp, "clients")
