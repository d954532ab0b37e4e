"""The Services tab: assigned services (with their status dots, filters and actions), the
service catalog (add, edit, archive), assigning a service, an assignment's page (terms,
activities, time notes) and Charge now. Reading takes any of manage_services, view_billing,
view_clients (the billing service decides); changing takes manage_services; charging,
manage_billing."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from gateway.api.billing_schemas import (
    AssignmentCreateRequest,
    AssignmentEndRequest,
    ChargeRequest,
    ServiceCreateRequest,
    ServiceUpdateRequest,
    TimeEntryRequest,
)
from gateway.auth import can, login_required, permission_required, require
from gateway.rpc import services
from gateway.web import billing_forms
from gateway.web.client_forms import (
    PER_PAGE,
    client_choices,
    filtered_list,
    page_number,
    page_url,
)
from gateway.web.forms import Form, done, read_form, show_form
from kit import permissions
from kit.errors import DomainError, PermissionDenied

bp = Blueprint("services", __name__, url_prefix="/services")

READERS = (permissions.MANAGE_SERVICES, permissions.VIEW_BILLING, permissions.VIEW_CLIENTS)


def require_reader() -> None:
    """The Services tab is for those who may read the catalog and assignments."""
    if not any(can(p) for p in READERS):
        require(permissions.MANAGE_SERVICES)  # the refusal names what the role lacks


def _context(section: str, **more) -> dict:
    return {
        "section": section,
        "words": billing_forms.WORDS,
        "payment_methods": billing_forms.PAYMENT_METHODS,
        "page_url": page_url,
        **more,
    }


# --- assigned services ------------------------------------------------------------------------


@bp.get("/")
@login_required
def index():
    """Assigned services, newest first, filtered by client, service and status."""
    require_reader()
    args = request.args
    status = args.get("status") if args.get("status") in billing_forms.ASSIGNMENT_STATUSES else None
    page, form, http_status = filtered_list(
        services.billing.list_assignments,
        {},
        client_id=args.get("client_id") or None,
        service_id=args.get("service_id") or None,
        status=status,
        page=page_number(),
        per_page=PER_PAGE,
    )
    return render_template(
        "services/index.html",
        title="Assigned services",
        form=form,
        page=page,
        clients=client_choices(),
        catalog=billing_forms.service_choices(),
        statuses=billing_forms.ASSIGNMENT_STATUSES,
        **_context("assigned"),
    ), http_status


@bp.route("/assign", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_SERVICES)
def assign():
    """Assign a service to a client with its billing terms."""
    if request.method == "GET":
        values = {k: v for k, v in request.args.items() if k in ("client_id", "service_id")}
        values.setdefault("payment_method", "check")
        return show_form("services/assign.html", Form(values), **_assign_page())
    form = billing_forms.read_money_form(
        AssignmentCreateRequest(), ("rate",), omit_blank=("end_date", "note")
    )
    try:
        made = services.billing.assign_service(**form.valid_data())
    except DomainError as exc:
        return billing_forms.failed("services/assign.html", form, exc, **_assign_page())
    message = f"{made['service']['name']} is assigned to {made['client']['name']}."
    return done(message, url_for(".assignment", assignment_id=made["id"]))


def _assign_page() -> dict:
    return _context(
        "assigned",
        title="Assign a service",
        clients=client_choices(),
        catalog=billing_forms.service_choices(),
        card_offered=billing_forms.stripe_connected(),
        billing_types=billing_forms.BILLING_TYPES,
    )


@bp.get("/assignments/<assignment_id>")
@login_required
def assignment(assignment_id: str):
    """An assignment's terms, its history and, for an hourly one, its time notes."""
    require_reader()
    return show_form("services/assignment.html", Form(), **_assignment_page(assignment_id))


def _assignment_page(assignment_id: str, editing: str | None = None) -> dict:
    found = services.billing.get_assignment(assignment_id)
    notes = []
    if found["billing_type"] == "hourly":
        notes = services.billing.list_time_notes(assignment_id)
    return _context(
        "assigned",
        title=f"{found['service']['name']} for {found['client']['name']}",
        assignment=found,
        activities=services.billing.list_activities(assignment_id),
        notes=notes,
        editing=editing,
        end_form=Form(),
    )


@bp.post("/assignments/<assignment_id>/end")
@permission_required(permissions.MANAGE_SERVICES)
def end(assignment_id: str):
    """End an assignment at a date: nothing is billed after it."""
    form = read_form(AssignmentEndRequest())
    try:
        ended = services.billing.end_assignment(assignment_id, **form.valid_data())
    except DomainError as exc:
        billing_forms.refuse(form, exc)
        page = {**_assignment_page(assignment_id), "end_form": form}
        # The page's `form` is its time form: it stays blank.
        return render_template("services/assignment.html", form=Form(), **page), exc.http_status
    message = f"The assignment ends on {ended['end_date']}: nothing is billed after that day."
    return done(message, url_for(".assignment", assignment_id=assignment_id))


@bp.post("/assignments/<assignment_id>/delete")
@permission_required(permissions.MANAGE_SERVICES)
def delete(assignment_id: str):
    """Delete an assignment that has not started."""
    services.billing.delete_assignment(assignment_id)
    return done("The assignment is deleted.", url_for(".index"))


# --- time notes -------------------------------------------------------------------------------


@bp.post("/assignments/<assignment_id>/time-notes")
@permission_required(permissions.MANAGE_SERVICES)
def log_time(assignment_id: str):
    """Log time on an hourly assignment."""
    form = _time_form()
    try:
        services.billing.log_time(assignment_id, **form.valid_data())
    except DomainError as exc:
        return billing_forms.failed(
            "services/assignment.html", form, exc, **_assignment_page(assignment_id)
        )
    return done("Time logged.", url_for(".assignment", assignment_id=assignment_id) + "#time")


@bp.route("/assignments/<assignment_id>/time-notes/<note_id>", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_SERVICES)
def edit_time(assignment_id: str, note_id: str):
    """Change a time note not yet invoiced (the form beside the list)."""
    if request.method == "GET":
        page = _assignment_page(assignment_id, editing=note_id)
        note = next((n for n in page["notes"] if n["id"] == note_id), None)
        if note is None:
            back = url_for(".assignment", assignment_id=assignment_id)
            return done("That time note is gone.", back)
        values = {**note, "hours": _hours(note["minutes"])}
        return show_form("services/assignment.html", Form(values), **page)
    form = _time_form()
    try:
        services.billing.update_time_note(note_id, **form.valid_data())
    except DomainError as exc:
        page = _assignment_page(assignment_id, editing=note_id)
        return billing_forms.failed("services/assignment.html", form, exc, **page)
    return done("Time note saved.", url_for(".assignment", assignment_id=assignment_id) + "#time")


@bp.post("/assignments/<assignment_id>/time-notes/<note_id>/delete")
@permission_required(permissions.MANAGE_SERVICES)
def delete_time(assignment_id: str, note_id: str):
    services.billing.delete_time_note(note_id)
    return done("Time note deleted.", url_for(".assignment", assignment_id=assignment_id) + "#time")


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}:{rest:02d}"


def _time_form() -> Form:
    """The time note form: the duration typed as hours ("1:30" or "1.5") is sent as minutes."""
    typed = request.form.get("hours", "").strip()
    minutes, wrong = None, None
    if typed:
        try:
            if ":" in typed:
                hours, _, rest = typed.partition(":")
                minutes = int(hours or 0) * 60 + int(rest or 0)
            else:
                minutes = round(float(typed) * 60)
        except ValueError:
            wrong = "Enter a duration like 1:30 or 1.5 (hours)."
    form = read_form(
        TimeEntryRequest(),
        omit_blank=("note",),
        extra={"minutes": minutes} if minutes is not None else {},
    )
    form.values["hours"] = typed
    if wrong or not typed:
        form.data = None
        form.refusal = {**form.refusal, "hours": [wrong or "Enter how long you worked."]}
        form.refusal.pop("minutes", None)
    elif form.refusal.get("minutes"):
        form.refusal["hours"] = ["Enter between 1 minute and 24 hours."]
        form.refusal.pop("minutes")
    return form


# --- the service catalog ----------------------------------------------------------------------


@bp.route("/catalog", methods=["GET", "POST"])
@login_required
def catalog():
    """Service management: the catalog (active or archived) and the form to add a service."""
    require_reader()
    status = "archived" if request.args.get("status") == "archived" else "active"
    if request.method == "GET":
        return show_form("services/catalog.html", Form(), **_catalog_page(status))
    require(permissions.MANAGE_SERVICES)
    form = read_form(ServiceCreateRequest(), omit_blank=("description",))
    try:
        made = services.billing.add_service(**form.valid_data())
    except DomainError as exc:
        return billing_forms.failed("services/catalog.html", form, exc, **_catalog_page(status))
    return done(f"Service {made['name']} added.", url_for(".catalog"))


def _catalog_page(status: str) -> dict:
    listed = services.billing.list_services(status=status, page=page_number(), per_page=PER_PAGE)
    return _context("catalog", title="Service management", status=status, services_page=listed)


@bp.route("/catalog/<service_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_SERVICES)
def edit_service(service_id: str):
    """Rename a service or change its description."""
    service = services.billing.get_service(service_id)
    page = _context("catalog", title=f"Edit {service['name']}", service=service)
    if request.method == "GET":
        return show_form("services/service_form.html", Form(dict(service)), **page)
    form = read_form(ServiceUpdateRequest(), required=("name",))
    try:
        services.billing.update_service(service_id, **form.valid_data())
    except DomainError as exc:
        return billing_forms.failed("services/service_form.html", form, exc, **page)
    return done("Service saved.", url_for(".catalog"))


@bp.post("/catalog/<service_id>/archive")
@permission_required(permissions.MANAGE_SERVICES)
def archive_service(service_id: str):
    """Archive a service: it can no longer be assigned; what was assigned goes on."""
    service = services.billing.archive_service(service_id)
    return done(f"{service['name']} is archived.", url_for(".catalog"))


# --- charge now -------------------------------------------------------------------------------


@bp.route("/charge", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_BILLING)
def charge():
    """Charge now: a one-time invoice issued at once (and charged at once for a card)."""
    if request.method == "GET":
        values = {"client_id": request.args.get("client_id", ""), "payment_method": "check"}
        return show_form("services/charge.html", Form(values), **_charge_page())
    form = billing_forms.read_money_form(ChargeRequest(), ("amount",), omit_blank=("note",))
    try:
        invoice = services.billing.charge_now(**form.valid_data())
    except DomainError as exc:
        return billing_forms.failed("services/charge.html", form, exc, **_charge_page())
    words = {"paid": "and paid", "failed": "but the card was declined"}
    outcome = words.get(invoice["status"], "")
    message = f"Invoice {invoice['number']} issued to {invoice['client']['name']} {outcome}."
    return done(message.replace(" .", "."), url_for("billing.invoice", invoice_id=invoice["id"]))


def _charge_page() -> dict:
    try:
        catalog_items = billing_forms.service_choices()
    except PermissionDenied:
        catalog_items = []
    return _context(
        "charge",
        title="Charge now",
        clients=client_choices(),
        catalog=catalog_items,
        card_offered=billing_forms.stripe_connected(),
    )


# --- services available per client --------------------------------------------------------------


@bp.post("/clients/<client_id>/available")
@permission_required(permissions.MANAGE_SERVICES)
def set_available(client_id: str):
    """Choose the services a client's contacts may ask for (the portal's request form)."""
    chosen = request.form.getlist("service_ids")
    services.billing.set_client_services(client_id, chosen)
    return done(
        "The services this client may request are saved.",
        url_for("clients.show", client_id=client_id, tab="services"),
    )
