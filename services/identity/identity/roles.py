"""Roles: the built-in four (seeded per agency, immutable) and an agency's own custom roles."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identity.models import Role, User
from identity.permissions import BUILTIN_ROLES, clean_permissions
from kit.context import SYSTEM, Context
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kit.ids import parse_field_id, parse_id
from kit.permissions import MANAGE_USERS
from kit.validation import FieldErrors, clean_name

BUILTIN_ORDER = list(BUILTIN_ROLES)


def role_dict(role: Role, users: int | None = None) -> dict:
    data = {
        "id": str(role.id),
        "name": role.name,
        "permissions": sorted(role.permissions),
        "is_builtin": role.is_builtin,
    }
    if users is not None:
        data["users"] = users
    return data


def seed_builtin_roles(session: Session, agency_id: uuid.UUID) -> dict[str, Role]:
    """The four built-in roles of a new agency, by name."""
    roles = {
        name: Role(
            id=uuid.uuid4(),
            agency_id=agency_id,
            name=name,
            permissions=sorted(permissions),
            is_builtin=True,
        )
        for name, permissions in BUILTIN_ROLES.items()
    }
    session.add_all(roles.values())
    return roles


def get_role(session: Session, ctx: Context, role_id) -> Role:
    role = session.scalar(
        select(Role).where(Role.id == parse_id(role_id, "role"), Role.agency_id == ctx.agency)
    )
    if role is None:
        raise NotFound("No such role.")
    return role


def role_for_assignment(session: Session, ctx: Context, role_id) -> Role:
    """A role named in a user form: one of the caller's agency, or a field error."""
    role = session.scalar(
        select(Role).where(
            Role.id == parse_field_id(role_id, "role_id"), Role.agency_id == ctx.agency
        )
    )
    if role is None:
        raise ValidationError("No such role.", {"role_id": "Choose one of your agency's roles."})
    return role


def require_grantable(ctx: Context, permissions) -> None:
    """Nobody hands out a permission they do not hold themselves, by a role given to a user or
    by a custom role built or changed: manage_users must not be a key to every other permission.
    """
    if ctx.kind == SYSTEM:
        return
    missing = sorted(set(permissions) - set(ctx.permissions))
    if missing:
        raise PermissionDenied(
            f"You cannot grant permissions you do not hold yourself: {', '.join(missing)}.",
            {"permissions": missing},
        )


def list_roles(session: Session, ctx: Context) -> list[dict]:
    """Built-in roles first in their order, then custom roles by name, with user counts."""
    ctx.require(MANAGE_USERS)
    counts = dict(
        session.execute(
            select(User.role_id, func.count())
            .where(User.agency_id == ctx.agency, User.status == "active")
            .group_by(User.role_id)
        ).all()
    )
    roles = session.scalars(select(Role).where(Role.agency_id == ctx.agency)).all()

    def order(role: Role):
        if role.is_builtin and role.name in BUILTIN_ORDER:
            return (0, BUILTIN_ORDER.index(role.name), "")
        return (1, 0, role.name.lower())

    return [role_dict(role, counts.get(role.id, 0)) for role in sorted(roles, key=order)]


def _name_taken(session: Session, ctx: Context, name: str, except_id=None) -> bool:
    query = select(Role.id).where(
        Role.agency_id == ctx.agency, func.lower(Role.name) == name.lower()
    )
    if except_id is not None:
        query = query.where(Role.id != except_id)
    return session.scalar(query) is not None


def _flush_unique_name(session: Session, name: str) -> None:
    try:
        session.flush()
    except IntegrityError:
        raise _name_conflict(name) from None


def _name_conflict(name: str) -> Conflict:
    return Conflict(f"A role named {name!r} exists.", {"name": "Another role has this name."})


def create_role(session: Session, ctx: Context, name: str, permissions) -> dict:
    ctx.require(MANAGE_USERS)
    errors = FieldErrors()
    name = errors.check(clean_name, name, max_length=50)
    permissions = errors.check(clean_permissions, permissions)
    errors.raise_if_any()
    require_grantable(ctx, permissions)
    if _name_taken(session, ctx, name):
        raise _name_conflict(name)
    role = Role(id=uuid.uuid4(), agency_id=ctx.agency, name=name, permissions=permissions)
    session.add(role)
    _flush_unique_name(session, name)
    return role_dict(role, 0)


def _refuse_builtin(role: Role) -> None:
    if role.is_builtin:
        raise PermissionDenied(
            f"The built-in role {role.name} cannot be changed or deleted; create a custom role."
        )


def update_role(
    session: Session, ctx: Context, role_id, name: str | None = None, permissions=None
) -> dict:
    ctx.require(MANAGE_USERS)
    role = get_role(session, ctx, role_id)
    _refuse_builtin(role)
    # Changing a role that holds more than the caller would also change what its holders can do.
    require_grantable(ctx, role.permissions)
    errors = FieldErrors()
    if name is not None:
        name = errors.check(clean_name, name, max_length=50)
    if permissions is not None:
        permissions = errors.check(clean_permissions, permissions)
    errors.raise_if_any()
    if permissions is not None:
        require_grantable(ctx, permissions)
    if name is not None and name != role.name:
        if _name_taken(session, ctx, name, except_id=role.id):
            raise _name_conflict(name)
        role.name = name
    if permissions is not None:
        role.permissions = permissions
    _flush_unique_name(session, role.name)
    return role_dict(role)


def delete_role(session: Session, ctx: Context, role_id) -> None:
    ctx.require(MANAGE_USERS)
    role = get_role(session, ctx, role_id)
    _refuse_builtin(role)
    users = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.agency_id == ctx.agency, User.role_id == role.id)
    )
    if users:
        raise Conflict(
            f"The role {role.name} is held by {users} user{'s' if users != 1 else ''}; "
            "give them another role first.",
            {"users": users},
        )
    session.delete(role)
