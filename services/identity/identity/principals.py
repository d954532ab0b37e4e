"""Who is calling: team users and portal contacts as one principal shape, found by e-mail or id."""

from __future__ import annotations

import dataclasses
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session

from identity.models import Agency, PortalLogin, User
from identity.subscription import access
from kit.context import PORTAL, SYSTEM, TEAM, Context
from kit.errors import PermissionDenied, Unauthenticated, ValidationError

KINDS = (TEAM, PORTAL)
ACTIVE = "active"

# Either kind of login: both have id, agency_id, name, email, password_hash, status.
Login = User | PortalLogin


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise ValidationError(f"Unknown kind of login {kind!r}.", {"kind": "Use user or contact."})
    return kind


def model_for(kind: str) -> type[User] | type[PortalLogin]:
    return User if check_kind(kind) == TEAM else PortalLogin


def find_by_email(session: Session, kind: str, email: str) -> Login | None:
    """The login with this address; for team users only a confirmed one (a pending address may
    also be pending in other agencies, and belongs to nobody until its owner confirms it)."""
    model = model_for(kind)
    if not isinstance(email, str) or not email.strip():
        return None
    query = select(model).where(func.lower(model.email) == email.strip().lower())
    if model is User:
        query = query.where(User.email_confirmed_at.is_not(None))
    return session.scalar(query)


def find_by_id(session: Session, kind: str, principal_id) -> Login | None:
    return session.get(model_for(kind), uuid.UUID(str(principal_id)))


def principal(login: Login) -> dict:
    """The principal dict of the contract, for the gateway to build call contexts from, with
    the agency's access (`subscription_status`, `read_only`) the gateway enforces."""
    agency = object_session(login).get(Agency, login.agency_id)
    return {**_principal(login), **access(agency)}


def _principal(login: Login) -> dict:
    if isinstance(login, User):
        return {
            "principal_id": str(login.id),
            "kind": TEAM,
            "agency_id": str(login.agency_id),
            "name": login.name,
            "email": login.email,
            "role": {"id": str(login.role.id), "name": login.role.name},
            "permissions": sorted(login.role.permissions),
            "client_id": None,
            "contact_id": None,
        }
    return {
        "principal_id": str(login.id),
        "kind": PORTAL,
        "agency_id": str(login.agency_id),
        "name": login.name,
        "email": login.email,
        "role": None,
        "permissions": [],
        "client_id": str(login.client_id),
        "contact_id": str(login.contact_id),
    }


def kind_of(login: Login) -> str:
    return TEAM if isinstance(login, User) else PORTAL


def active_principal(session: Session, kind: str, principal_id) -> dict:
    """The principal behind a session or token, if it may still act; else Unauthenticated."""
    login = find_by_id(session, kind, principal_id)
    if login is None or login.status != ACTIVE:
        raise Unauthenticated("This account is inactive; ask your agency's administrator.")
    return principal(login)


def caller(session: Session, ctx: Context, kinds: tuple[str, ...] = (TEAM,)) -> Login:
    """The login of the person making the call (for things one does for oneself)."""
    if ctx.kind == SYSTEM or ctx.kind not in kinds:
        raise PermissionDenied("Only a signed-in person can do this for themselves.")
    if not ctx.principal_id:
        raise Unauthenticated("Please log in.")
    model = model_for(ctx.kind)
    try:
        principal_id = uuid.UUID(str(ctx.principal_id))
    except ValueError:
        raise Unauthenticated("Please log in.") from None
    login = session.scalar(
        select(model).where(model.id == principal_id, model.agency_id == ctx.agency)
    )
    if login is None or login.status != ACTIVE:
        raise Unauthenticated("Please log in.")
    return login


def agency_name(session: Session, agency_id) -> str:
    agency = session.get(Agency, uuid.UUID(str(agency_id)))
    return agency.name if agency else ""


def in_agency(ctx: Context, agency_id) -> Context:
    """The caller's context within the agency a login belongs to (for the events of calls that
    come unauthenticated, like signup or a password reset), keeping its request id."""
    return dataclasses.replace(ctx, agency_id=str(agency_id))


def recipient(session: Session, login: Login) -> dict:
    """Who an e-mail about `login` goes to, so notifications need not call back."""
    return {
        "principal_id": str(login.id),
        "kind": kind_of(login),
        "name": login.name,
        "email": login.email,
        "agency_name": agency_name(session, login.agency_id),
    }
