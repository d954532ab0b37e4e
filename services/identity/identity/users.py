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
        # Pending until they open the e-mailed link (an invitation, or an address to confirm).
        "invitation_pending": user.email_confirmed_at is None,
        "created_at": user.created_at.isoformat(),
        "last_login_at": user.last_login_at.isoformat() if user.last_login_at else None,
    }


def _event_data(session: Session, user: User) -> dict:
    return {
        "user_id": str(user.id),
        "name": user.name,
        "email": user.email,
        "email_confirmed": user.email_confirmed_at is not None,
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
    """Whether a confirmed user (of any agency) logs in with this address."""
    query = select(User.id).where(
        func.lower(User.email) == email.lower(), User.email_confirmed_at.is_not(None)
    )
    if except_id is not None:
        query = query.where(User.id != except_id)
    return session.scalar(query) is not None


def email_in_agency(
    session: Session, agency_id, email: str, except_id: uuid.UUID | None = None
) -> bool:
    """Whether a user of this agency (confirmed or not) has the address: saying so to the
    agency's own administrators tells them nothing about anyone else."""
    query = select(User.id).where(
        User.agency_id == agency_id, func.lower(User.email) == email.lower()
    )
    if except_id is not None:
        query = query.where(User.id != except_id)
    return session.scalar(query) is not None


def email_conflict(email: str) -> Conflict:
    return Conflict(
        f"{email} is already used by another account.",
        {"email": "This e-mail address is already in use."},
    )


def team_email_conflict(email: str) -> Conflict:
    return Conflict(
        f"{email} is already a member of your team.",
        {"email": "Someone in your team already has this e-mail address."},
    )


def flush_unique_email(session: Session, email: str) -> None:
    """Flush, turning a lost race on the unique e-mail index into the same Conflict."""
    try:
        session.flush()
    except IntegrityError:
        raise email_conflict(email) from None


def _flush_team_email(session: Session, email: str) -> None:
    """Flush a new or changed pending address: only the agency's own index can refuse it."""
    try:
        session.flush()
    except IntegrityError:
        raise team_email_conflict(email) from None


def _ask_for_confirmation(
    session: Session, ctx: Context, user: User, event_type: str, data: dict
) -> None:
    """E-mail a pending address: its confirmation link (in `event_type`'s event), or, when a
    confirmed user of another agency has it, a notice to that user instead. Both ways the caller
    sees the same answer, so adding an address tells nobody whether it has an account elsewhere.
    """
    owner = session.scalar(
        select(User).where(
            func.lower(User.email) == user.email.lower(),
            User.email_confirmed_at.is_not(None),
            User.id != user.id,
        )
    )
    token = expires_at = None
    if owner is None:
        token, expires_at = one_time.issue(session, user, one_time.INVITATION)
    else:
        # The notice is the owner's agency's event: nothing of it reaches the caller's agency.
        record_event(
            session,
            principals.in_agency(ctx, owner.agency_id),
            "user_address_in_use_elsewhere",
            {
                "user_id": str(owner.id),
                "email": owner.email,
                "name": owner.name,
                "agency_name": principals.agency_name(session, owner.agency_id),
                "other_agency_name": principals.agency_name(session, user.agency_id),
            },
        )
    data.update(
        confirm_token=token,
        set_password_token=token if user.password_hash is None else None,
        expires_at=expires_at.isoformat() if expires_at else None,
        has_password=user.password_hash is not None,
    )
    record_event(session, ctx, event_type, data)


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
    """Add a team member with an initial password, or invite them to set one. Either way they are
    pending until they open the link e-mailed to them; an address that a user of another agency
    has gets that user a notice instead, and the answer is the same (no enumeration)."""
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
    if email_in_agency(session, ctx.agency, email):
        raise team_email_conflict(email)
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
        email_confirmed_at=None,
    )
    session.add(user)
    _flush_team_email(session, email)
    data = _event_data(session, user)
    if ctx.principal_id:
        inviter = session.get(User, uuid.UUID(str(ctx.principal_id)))
        data["invited_by"] = inviter.name if inviter else None
    _ask_for_confirmation(session, ctx, user, "user_created", data)
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
    new_address = email is not None and email.lower() != user.email.lower()
    if email is not None and email != user.email:
        if email_in_agency(session, user.agency_id, email, except_id=user.id):
            raise team_email_conflict(email)
        user.email = email
        if new_address:
            # The new address logs in once its owner confirms it, as for a new user.
            user.email_confirmed_at = None
        changes.append("email")
    if role is not None and role.id != user.role_id:
        user.role_id, user.role = role.id, role
        changes.append("role")
    if changes:
        if new_address:
            _flush_team_email(session, user.email)
        else:
            flush_unique_email(session, user.email)
        record_event(
            session, ctx, "user_updated", {**_event_data(session, user), "changes": changes}
        )
    if new_address:
        _ask_for_confirmation(
            session, ctx, user, "user_email_change_requested", _event_data(session, user)
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


def resend_confirmation(session: Session, ctx: Context, user_id) -> dict:
    """E-mail a pending user a new link (the earlier one stops working); the same answer, and
    the same notice instead of a link, as when they were added (`user_created` again)."""
    ctx.require(MANAGE_USERS)
    user = get_user_row(session, ctx, user_id)
    if user.email_confirmed_at is not None:
        raise Conflict(
            f"{user.name} has confirmed their address already.",
            {"user_id": "This user's address is confirmed; they can log in."},
        )
    if user.status != "active":
        raise Conflict(
            f"{user.name} is deactivated; reactivate them first.",
            {"user_id": "Reactivate this user first."},
        )
    _require_outranks(ctx, user)
    _ask_for_confirmation(session, ctx, user, "user_created", _event_data(session, user))
    return user_dict(user)


def accept_user_invitation(
    session: Session, ctx: Context, token: str, password: str | None, *, settings: Settings
) -> dict:
    """The invited (or added) user opens the e-mailed link: their address is confirmed, the
    password set (needed when they have none yet, optional otherwise), and they are logged in:
    `{"principal","session_token"}`."""
    user = one_time.consume(session, token, one_time.INVITATION)
    if password in (None, "") and user.password_hash is None:
        raise ValidationError(
            "Choose a password.", {"password": "Choose a password for your account."}
        )
    if password not in (None, ""):
        passwords.check_password_policy(password, user.email)
        user.password_hash = passwords.hash_password(password)
    if email_taken(session, user.email, except_id=user.id):
        # Only the mailbox's owner can get here: saying so tells nobody else anything.
        raise _taken_on_confirm(session, user)
    user.email_confirmed_at = utcnow()
    try:
        session.flush()
    except IntegrityError:
        raise _taken_on_confirm(session, user) from None
    user.last_login_at = utcnow()
    token = sessions.start_session(session, user, settings=settings)
    return {"principal": principals.principal(user), "session_token": token}


def _taken_on_confirm(session: Session, user: User) -> Conflict:
    agency = principals.agency_name(session, user.agency_id)
    return Conflict(
        f"{user.email} already has an account with us, so it cannot also join {agency}. Ask "
        f"whoever added you to use another address, or log in to your existing account.",
        {"email": "This e-mail address already has an account."},
    )
