"""Portal logins of client contacts, created, kept in step and disabled by the clients service
(which owns contacts; identity only authenticates them)."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from identity import passwords, principals, sessions
from identity.models import PortalLogin
from identity.settings import Settings
from kit.context import SYSTEM, Context
from kit.errors import Conflict, NotFound, PermissionDenied
from kit.ids import parse_field_id, parse_id
from kit.permissions import EDIT_CLIENTS
from kit.validation import FieldErrors, clean_email, clean_name

DISABLED = "disabled"


def _require_system(ctx: Context) -> None:
    # The clients service owns contacts and invitations; it alone decides who gets a login.
    if ctx.kind != SYSTEM:
        raise PermissionDenied("Portal logins are managed by the clients service.")
    ctx.agency  # noqa: B018 -- raises Unauthenticated without an agency


def _require_contact_editor(ctx: Context, permission: str) -> None:
    # The clients service (system context) or a team member allowed to change contacts.
    ctx.require(permission)
    ctx.agency  # noqa: B018 -- raises Unauthenticated without an agency


def _email_conflict(email: str) -> Conflict:
    return Conflict(
        f"{email} already has a portal login.",
        {"email": "This e-mail address already has a portal login."},
    )


def create_portal_login(
    session: Session,
    ctx: Context,
    contact_id,
    client_id,
    email: str,
    name: str,
    password: str,
    *,
    settings: Settings,
) -> dict:
    """A login for a contact (or a fresh password, e-mail and name for the contact's existing
    one, enabled again), signed in at once: `{"principal", "session_token"}`. The session comes
    with the login so that accepting an invitation needs no second, throttled, password login."""
    _require_system(ctx)
    errors = FieldErrors()
    contact = errors.check(parse_field_id, contact_id, "contact_id")
    client = errors.check(parse_field_id, client_id, "client_id")
    email = errors.check(clean_email, email)
    name = errors.check(clean_name, name)
    errors.check(passwords.check_password_policy, password, email)
    errors.raise_if_any()
    login = session.scalar(
        select(PortalLogin).where(
            PortalLogin.agency_id == ctx.agency, PortalLogin.contact_id == contact
        )
    )
    taken = session.scalar(
        select(PortalLogin.id).where(func.lower(PortalLogin.email) == email.lower())
    )
    if taken is not None and (login is None or taken != login.id):
        raise _email_conflict(email)
    if login is None:
        login = PortalLogin(id=uuid.uuid4(), agency_id=ctx.agency, contact_id=contact)
        session.add(login)
    login.client_id = client
    login.email = email
    login.name = name
    login.password_hash = passwords.hash_password(password)
    login.status = principals.ACTIVE
    try:
        session.flush()
    except IntegrityError:
        raise _email_conflict(email) from None
    token = sessions.start_session(session, login, settings=settings)
    return {"principal": principals.principal(login), "session_token": token}


def disable_portal_login(session: Session, ctx: Context, contact_id) -> None:
    """The contact can no longer log in to the portal; their sessions end."""
    _require_system(ctx)
    login = _login_of_contact(session, ctx, contact_id)
    login.status = DISABLED
    sessions.end_all_sessions(session, login)


def _login_of_contact(session: Session, ctx: Context, contact_id) -> PortalLogin:
    """The portal login of a contact of the caller's agency; another agency's is not found."""
    login = session.scalar(
        select(PortalLogin).where(
            PortalLogin.agency_id == ctx.agency,
            PortalLogin.contact_id == parse_id(contact_id, "portal login"),
        )
    )
    if login is None:
        raise NotFound("No such portal login.")
    return login


def update_portal_login(
    session: Session,
    ctx: Context,
    contact_id,
    email: str | None = None,
    name: str | None = None,
    client_id=None,
) -> dict:
    """The contact's new e-mail (their username), name or client on their portal login; returns
    its principal. Sessions go on for a new address or name (the person is the same); a move to
    another client ends them, so no open session keeps the old client."""
    _require_contact_editor(ctx, EDIT_CLIENTS)
    login = _login_of_contact(session, ctx, contact_id)
    errors = FieldErrors()
    if email is not None:
        email = errors.check(clean_email, email)
    if name is not None:
        name = errors.check(clean_name, name)
    if client_id is not None:
        client_id = errors.check(parse_field_id, client_id, "client_id")
    errors.raise_if_any()
    if client_id is not None and client_id != login.client_id:
        login.client_id = client_id
        sessions.end_all_sessions(session, login)
    if email is not None and email != login.email:
        taken = session.scalar(
            select(PortalLogin.id).where(
                func.lower(PortalLogin.email) == email.lower(), PortalLogin.id != login.id
            )
        )
        if taken is not None:
            raise _email_conflict(email)
        login.email = email
    if name is not None:
        login.name = name
    try:
        session.flush()
    except IntegrityError:
        raise _email_conflict(email) from None
    return principals.principal(login)


def check_portal_email(session: Session, ctx: Context, contact_id, email: str) -> None:
    """Conflict if `email` is another portal login's than the contact's (at any agency): asked
    before the clients service commits a contact's new e-mail, so the person typing it hears."""
    _require_contact_editor(ctx, EDIT_CLIENTS)
    contact = parse_id(contact_id, "portal login")
    email = clean_email(email)
    taken = session.scalar(
        select(PortalLogin.id).where(
            func.lower(PortalLogin.email) == email.lower(),
            (PortalLogin.agency_id != ctx.agency) | (PortalLogin.contact_id != contact),
        )
    )
    if taken is not None:
        raise _email_conflict(email)
