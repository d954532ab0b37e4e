"""The Users tab: the team (add, edit, deactivate, reactivate) and its roles (manage_users)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from gateway import auth
from gateway.api.schemas import (
    RoleCreateRequest,
    RoleUpdateRequest,
    UserCreateRequest,
    UserUpdateRequest,
)
from gateway.auth import permission_required
from gateway.grants import check_role_grant, require_grantable
from gateway.rpc import services
from gateway.web.forms import Form, done, form_failed, read_form, show_form
from kit import permissions
from kit.errors import DomainError, ValidationError

bp = Blueprint("users", __name__, url_prefix="/users")

STATUSES = ("active", "inactive", "all")


@bp.get("/")
@permission_required(permissions.MANAGE_USERS)
def index():
    """The team, active ones first by default, with role, status and last login."""
    status = request.args.get("status", "active")
    if status not in STATUSES:
        status = "active"
    users = services.identity.list_users(status=None if status == "all" else status)
    return render_template(
        "users/index.html",
        title="Users",
        users=users,
        status=status,
        me=auth.principal()["principal_id"],
    )


@bp.route("/new", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_USERS)
def new():
    """Add a user with an initial password or an invitation e-mail."""
    roles = services.identity.list_roles()
    if request.method == "GET":
        form = Form({"role_id": _default_role(roles)})
        return show_form("users/form.html", form, **_form_page(None, roles))
    form = read_form(UserCreateRequest(), omit_blank=("password",))
    try:
        body = form.valid_data()
        if body["send_invitation"]:
            body.pop("password", None)  # they choose their own
        elif not body.get("password"):
            raise ValidationError(
                "Give an initial password, or send an invitation.",
                {"password": "Give an initial password, or tick the box to send an invitation."},
            )
        check_role_grant(body.get("role_id"))
        user = services.identity.create_user(**body)
    except DomainError as exc:
        return form_failed("users/form.html", form, exc, **_form_page(None, roles))
    if body["send_invitation"]:
        message = f"{user['name']} is added; an invitation is on its way to them."
    else:
        message = (
            f"{user['name']} is added: they can log in once they confirm their address with "
            "the link e-mailed to them."
        )
    return done(message, url_for(".index"))


@bp.route("/<user_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_USERS)
def edit(user_id: str):
    """Change a user's profile, username (e-mail), role or password."""
    user = services.identity.get_user(user_id)
    roles = services.identity.list_roles()
    before = {"name": user["name"], "email": user["email"], "role_id": user["role"]["id"]}
    if request.method == "GET":
        return show_form("users/form.html", Form(dict(before)), **_form_page(user, roles))
    form = read_form(
        UserUpdateRequest(), required=("name", "email", "role_id"), omit_blank=("password",)
    )
    try:
        # Only what changed: identity guards some fields (the owner's e-mail, one's own
        # password) even when the value sent is the same.
        changes = {k: v for k, v in form.valid_data().items() if before.get(k) != v}
        if not changes:
            flash("Nothing changed.", "info")
            return redirect(url_for(".index"))
        check_role_grant(changes.get("role_id"), user_id)
        updated = services.identity.update_user(user_id, **changes)
    except DomainError as exc:
        return form_failed("users/form.html", form, exc, **_form_page(user, roles))
    message = f"{form.data['name']}'s profile is saved."
    if "email" in changes and updated["invitation_pending"]:
        message += (
            " The new address is their login once they confirm it from the e-mail sent to it."
        )
    return done(message, url_for(".index"))


@bp.post("/<user_id>/deactivate")
@permission_required(permissions.MANAGE_USERS)
def deactivate(user_id: str):
    """The user can no longer log in; their data stays."""
    user = services.identity.deactivate_user(user_id)
    return done(
        f"{user['name']} is deactivated: they can no longer log in, and their sessions and "
        "API tokens are ended.",
        url_for(".index", status="active"),
    )


@bp.post("/<user_id>/invitation")
@permission_required(permissions.MANAGE_USERS)
def resend_confirmation(user_id: str):
    """A pending user gets a new link to confirm their address."""
    user = services.identity.resend_user_confirmation(user_id)
    return done(f"A new link is on its way to {user['email']}.", url_for(".index"))


@bp.post("/<user_id>/reactivate")
@permission_required(permissions.MANAGE_USERS)
def reactivate(user_id: str):
    """The user can log in again."""
    user = services.identity.reactivate_user(user_id)
    return done(f"{user['name']} is active again.", url_for(".index", status="inactive"))


@bp.get("/roles")
@permission_required(permissions.MANAGE_USERS)
def roles():
    """Built-in and custom roles with their permissions."""
    return render_template(
        "users/roles.html",
        title="Roles",
        roles=services.identity.list_roles(),
        permissions=_permission_labels(),
    )


@bp.route("/roles/new", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_USERS)
def new_role():
    """A custom role with the permissions ticked."""
    if request.method == "GET":
        return show_form("users/role_form.html", Form(), **_role_page(None))
    form = read_form(RoleCreateRequest(), lists=("permissions",))
    try:
        body = form.valid_data()
        require_grantable(body["permissions"])
        role = services.identity.create_role(body["name"], body["permissions"])
    except DomainError as exc:
        return form_failed("users/role_form.html", form, exc, **_role_page(None))
    return done(f"The role {role['name']} is created.", url_for(".roles"))


@bp.route("/roles/<role_id>/edit", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_USERS)
def edit_role(role_id: str):
    """Rename a custom role or change its permissions."""
    role = _find_role(role_id)
    if role.get("is_builtin"):
        flash(f"{role['name']} is a built-in role; create a custom role instead.", "warning")
        return redirect(url_for(".roles"))
    if request.method == "GET":
        form = Form({"name": role["name"], "permissions": role["permissions"]})
        return show_form("users/role_form.html", form, **_role_page(role))
    form = read_form(RoleUpdateRequest(), lists=("permissions",), required=("name",))
    try:
        body = form.valid_data()
        if body.get("permissions") is not None:
            require_grantable(body["permissions"])
        services.identity.update_role(role_id, **body)
    except DomainError as exc:
        return form_failed("users/role_form.html", form, exc, **_role_page(role))
    return done(f"The role {form.data['name']} is saved.", url_for(".roles"))


@bp.post("/roles/<role_id>/delete")
@permission_required(permissions.MANAGE_USERS)
def delete_role(role_id: str):
    """Delete a custom role nobody holds (identity refuses otherwise, with the reason)."""
    try:
        services.identity.delete_role(role_id)
    except DomainError as exc:
        if exc.http_status not in (403, 409):
            raise
        flash(exc.message, "danger")
    else:
        flash("The role is deleted.", "success")
    return redirect(url_for(".roles"))


def _default_role(roles: list[dict]) -> str | None:
    """New users start as a Member, the least privileged built-in role."""
    for role in roles:
        if role.get("is_builtin") and role["name"] == "Member":
            return role["id"]
    return roles[-1]["id"] if roles else None


def _find_role(role_id: str) -> dict:
    for role in services.identity.list_roles():
        if role["id"] == role_id:
            return role
    abort(404, "No such role.")


def _permission_labels() -> dict[str, str]:
    return {p["name"]: p["description"] for p in services.identity.list_permissions()}


def _form_page(user: dict | None, roles: list[dict]) -> dict:
    return {
        "title": f"Edit {user['name']}" if user else "Add user",
        "user": user,
        "roles": roles,
        "role_choices": [(role["id"], role["name"]) for role in roles],
        "is_self": bool(user) and user["id"] == auth.principal()["principal_id"],
    }


def _role_page(role: dict | None) -> dict:
    return {
        "title": f"Edit role {role['name']}" if role else "New role",
        "role": role,
        "choices": services.identity.list_permissions(),
    }
