"""Team users of an agency: adding, inviting, changing, deactivating; the owner rules."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identity import api_tokens, credentials, one_time, passwords, principals, roles, sessions
from identity.models import User
from identity.permissions import OWNER
from identity.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PermissionDenied, ValidationError
from kit.ids import parse_id
from kit.outbox import record_event
from kit.permissions import MANAGE_USERS
from kit.validation import FieldErrors, clean_email, clean_name

STATUSES = ("active", "inactive")
UPDATABLE = ("name", "email", "role_id", "password")


def user_dict(user: User) -> dict:
    return {
        "id": str(user.id),
        "name": user.name,
        "email": user.email,
        "role": {"id": str(user.role.id), "name": user.role.name},
        "status": user.status,
        "is_owner": user.is_owner,
        "invitation_pending": user.password_hash is None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def _event_data(session: Session, user: User) -> dict:
    return {
        "user_id": str(user.id),
        "name": user.name,
        "email": user.email,
        "role": {"id": str(user.role.id), "name": user.role.name},
        "agency_name": principals.agency_name(session, user.agency_id),
    }


def get_user_row(session: Session, ctx: Context, user_id) -> User:
    """A user of the caller's agency; another agency's user is not found."""
    user = session.scalar(
        select(User).where(User.id == parse_id(user_id, "user"), User.agency_id == ctx.agency)
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def email_taken(session: Session, email: str, except_id: uuid.UUID | None = None) -> bool:
    query = select(User.id).where(func.lower(User.email) == email.lower())
    if except_id is not None:
        query = query.where(User.id != except_id)
    return session.scalar(query) is not None


def email_conflict(email: str) -> Conflict:
    return Conflict(
        f"{email} is already used by another account.",
        {"email": "This e-mail address is already in use."},
    )


def flush_unique_email(session: Session, email: str) -> None:
    """Flush, turning a lost race on the unique e-mail index into the same Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise email_conflict(email) from None


def list_users(session: Session, ctx: Context, status: str | None = None) -> list[dict]:
    """The agency's team, by name; any team member may see it (e.g. to pick an account manager)."""
    ctx.require()
    query = select(User).where(User.agency_id == ctx.agency)
    if status is not None:
        if status not in STATUSES:
            raise ValidationError(
                f"Unknown status {status!r}.", {"status": "Use active or inactive."}
            )
        query = query.where(User.status == status)
    users = session.scalars(query.order_by(func.lower(User.name), User.created_at)).all()
    return [user_dict(user) for user in users]


def get_user(session: Session, ctx: Context, user_id) -> dict:
    ctx.require()
    return user_dict(get_user_row(session, ctx, user_id))


def users_by_ids(session: Session, ctx: Context, user_ids) -> list[dict]:
    """The users of the caller's agency among `user_ids`; others' and unknown ids are left out."""
    ctx.require()
    if not isinstance(user_ids, list | tuple | set):
        raise ValidationError("user_ids must be a list.", {"user_ids": "Give a list of ids."})
    ids = set()
    for value in user_ids:
        try:
            ids.add(uuid.UUID(str(value)))
        except ValueError:
            continue
    if not ids:
        return []
    users = session.scalars(
        select(User).where(User.agency_id == ctx.agency, User.id.in_(ids))
    ).all()
    return [user_dict(user) for user in users]


def create_user(
    session: Session,
    ctx: Context,
    name: str,
    email: str,
    role_id,
    password: str | None = None,
    send_invitation: bool = False,
) -> dict:
    """Add a team member with an initial password, or invite them to set one (by e-mail)."""
    ctx.require(MANAGE_USERS)
    errors = FieldErrors()
    name = errors.check(clean_name, name)
    email = errors.check(clean_email, email)
    role = errors.check(roles.role_for_assignment, session, ctx, role_id)
    if role is not None and role.is_builtin and role.name == OWNER:
        errors.fields["role_id"] = "The Owner role belongs to the agency's owner alone."
    if role is not None:
        roles.require_grantable(ctx, role.permissions)
    if send_invitation and password:
        errors.fields["password"] = "Give an initial password or send an invitation, not both."
    elif not send_invitation:
        errors.check(passwords.check_password_policy, password, email)
    errors.raise_if_any()
    if email_taken(session, email):
        raise email_conflict(email)
    user = User(
        id=uuid.uuid4(),
        agency_id=ctx.agency,
        role_id=role.id,
        role=role,
        name=name,
        email=email,
        password_hash=None if send_invitation else passwords.hash_password(password),
        status="active",
        created_at=utcnow(),
    )
    session.add(user)
    flush_unique_email(session, email)
    data = {**_event_data(session, user), "set_password_token": None, "expires_at": None}
    if send_invitation:
        token, expires_at = one_time.issue(session, user, one_time.INVITATION)
        data.update(set_password_token=token, expires_at=expires_at.isoformat())
    if ctx.principal_id:
        inviter = session.get(User, uuid.UUID(str(ctx.principal_id)))
        data["invited_by"] = inviter.name if inviter else None
    record_event(session, ctx, "user_created", data)
    return user_dict(user)


def _is_self(ctx: Context, user: User) -> bool:
    return ctx.principal_id is not None and str(ctx.principal_id) == str(user.id)


def _require_outranks(ctx: Context, user: User) -> None:
    """Taking over a user (their login, their role, their access) needs every permission they
    hold: otherwise a manage_users role could set an Admin's password and sign in as them."""
    roles.require_grantable(ctx, user.role.permissions)


def update_user(session: Session, ctx: Context, user_id, fields: dict[str, Any]) -> dict:
    """Change name, e-mail (the username), role or password. Anyone may rename themselves;
    everything else needs manage_users and every permission the user holds; nobody changes their
    own role or grants one with a permission they lack; the owner keeps the Owner role and their
    login."""
    unknown = sorted(set(fields) - set(UPDATABLE))
    if unknown:
        raise ValidationError(
            f"These fields cannot be changed: {', '.join(unknown)}.",
            {field: "This field cannot be changed." for field in unknown},
        )
    ctx.require()
    user = get_user_row(session, ctx, user_id)
    if not (_is_self(ctx, user) and set(fields) <= {"name"}):
        ctx.require(MANAGE_USERS)
    if user.is_owner and not _is_self(ctx, user) and {"email", "password"} & set(fields):
        raise PermissionDenied("Only the owner can change the owner's e-mail or password.")
    if not _is_self(ctx, user) and set(fields) - {"name"}:
        _require_outranks(ctx, user)
    if _is_self(ctx, user) and "password" in fields:
        raise ValidationError(
            "Change your own password with your current password.",
            {"password": "Use the change password form for your own password."},
        )

    errors = FieldErrors()
    name = errors.check(clean_name, fields["name"]) if "name" in fields else None
    email = errors.check(clean_email, fields["email"]) if "email" in fields else None
    role = None
    if "role_id" in fields:
        role = errors.check(roles.role_for_assignment, session, ctx, fields["role_id"])
        if role is not None and role.id != user.role_id:
            is_owner_role = role.is_builtin and role.name == OWNER
            if user.is_owner:
                raise PermissionDenied("The agency owner's role stays Owner.")
            if _is_self(ctx, user):
                raise PermissionDenied("You cannot change your own role.")
            roles.require_grantable(ctx, role.permissions)
            if is_owner_role:
                errors.fields["role_id"] = "The Owner role belongs to the agency's owner alone."
    if "password" in fields:
        errors.check(passwords.check_password_policy, fields["password"], email or user.email)
    errors.raise_if_any()

    changes = []
    if name is not None and name != user.name:
        user.name = name
        changes.append("name")
    if email is not None and email != user.email:
        if email_taken(session, email, except_id=user.id):
            raise email_conflict(email)
        user.email = email
        changes.append("email")
    if role is not None and role.id != user.role_id:
        user.role_id, user.role = role.id, role
        changes.append("role")
    if changes:
        flush_unique_email(session, user.email)
        record_event(
            session, ctx, "user_updated", {**_event_data(session, user), "changes": changes}
        )
    if "password" in fields:
        credentials.set_password(session, ctx, user, fields["password"], reason="set_by_admin")
    return user_dict(user)


def deactivate_user(session: Session, ctx: Context, user_id) -> dict:
    """The user can no longer log in; their sessions end and their API tokens are revoked (not
    merely refused while inactive: a reactivation must not bring them back)."""
    ctx.require(MANAGE_USERS)
    user = get_user_row(session, ctx, user_id)
    if user.is_owner:
        raise PermissionDenied("The agency owner cannot be deactivated.")
    if _is_self(ctx, user):
        raise PermissionDenied("You cannot deactivate yourself.")
    _require_outranks(ctx, user)
    if user.status != "inactive":
        user.status = "inactive"
        sessions.end_all_sessions(session, user)
        api_tokens.revoke_all_api_tokens(session, user)
        record_event(session, ctx, "user_deactivated", _event_data(session, user))
    return user_dict(user)


def reactivate_user(session: Session, ctx: Context, user_id) -> dict:
    ctx.require(MANAGE_USERS)
    user = get_user_row(session, ctx, user_id)
    if user.status != "active":
        user.status = "active"
        record_event(session, ctx, "user_reactivated", _event_data(session, user))
    return user_dict(user)


def accept_user_invitation(
    session: Session, ctx: Context, token: str, password: str, *, settings: Settings
) -> dict:
    """The invited user sets their password and is logged in: `{"principal","session_token"}`."""
    user = one_time.consume(session, token, one_time.INVITATION)
    passwords.check_password_policy(password, user.email)
    user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    token = sessions.start_session(session, user, settings=settings)
    return {"principal": principals.principal(user), "session_token": token}
