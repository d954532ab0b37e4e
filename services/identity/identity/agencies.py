"""Agencies (tenants): signing up, settings, the plan they are on and what it entitles them to."""

from __future__ import annotations

import math
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from identity import branding, passwords, principals, roles, sessions, subscription, users
from identity.models import Agency, Plan, User
from identity.permissions import OWNER
from identity.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, ValidationError
from kit.money import Money
from kit.outbox import record_event
from kit.permissions import MANAGE_SETTINGS
from kit.validation import FieldErrors, clean_email, clean_name

TRIAL_DAYS = 14


def plan_dict(plan: Plan) -> dict:
    return {
        "code": plan.code,
        "name": plan.name,
        "client_limit": plan.client_limit,
        "price_per_user": Money(plan.price_per_user, plan.currency).to_dict(),
        "is_default": plan.is_default,
    }


def trial_days_left(agency: Agency, now: datetime | None = None) -> int | None:
    """Whole days (rounded up) until the trial ends; 0 once it has; None without a trial."""
    if agency.trial_ends_at is None:
        return None
    seconds = (agency.trial_ends_at - (now or utcnow())).total_seconds()
    return max(0, math.ceil(seconds / 86400))


def agency_dict(agency: Agency, now: datetime | None = None) -> dict:
    return {
        "id": str(agency.id),
        "name": agency.name,
        "timezone": agency.timezone,
        "plan": plan_dict(agency.plan),
        "trial_ends_at": agency.trial_ends_at.isoformat() if agency.trial_ends_at else None,
        "trial_days_left": trial_days_left(agency, now),
        **subscription.access(agency, now),
        "created_at": agency.created_at.isoformat(),
        "branding": branding.branding_dict(agency),
    }


def default_plan(session: Session) -> Plan:
    plan = session.scalar(select(Plan).where(Plan.is_default).order_by(Plan.position))
    if plan is None:  # the migration seeds the plans; without them nobody can sign up
        raise RuntimeError("no default plan: run the identity migrations")
    return plan


def check_signup_fields(
    agency_name: str, owner_name: str, email: str, password: str
) -> tuple[str, str, str]:
    """The cleaned agency name, owner name and e-mail of a signup; field errors otherwise."""
    errors = FieldErrors()
    agency_name = errors.check(clean_name, agency_name, field="agency_name")
    owner_name = errors.check(clean_name, owner_name, field="owner_name")
    email = errors.check(clean_email, email)
    errors.check(passwords.check_password_policy, password, email)
    errors.raise_if_any()
    return agency_name, owner_name, email


def signup(
    session: Session,
    ctx: Context,
    agency_name: str,
    owner_name: str,
    email: str,
    password: str,
    ip: str | None = None,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> dict:
    """A new agency at once, for an address known to be the caller's (operators' scripts and
    tests; people sign up through signups.request_signup): see `create_agency`."""
    agency_name, owner_name, email = check_signup_fields(agency_name, owner_name, email, password)
    if users.email_taken(session, email):
        raise users.email_conflict(email)
    password_hash = passwords.hash_password(password)
    return create_agency(
        session, ctx, agency_name, owner_name, email, password_hash, ip, now, settings=settings
    )


def create_agency(
    session: Session,
    ctx: Context,
    agency_name: str,
    owner_name: str,
    email: str,
    password_hash: str,
    ip: str | None = None,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> dict:
    """A new agency with its built-in roles, its owner and a trial of the default plan; the owner
    is logged in: `{"agency", "principal", "session_token"}`. The fields are already checked."""
    now = now or utcnow()
    plan = default_plan(session)
    agency = Agency(
        id=uuid.uuid4(),
        name=agency_name,
        timezone="UTC",
        plan_code=plan.code,
        plan=plan,
        subscription_status="trialing",
        trial_ends_at=now + timedelta(days=TRIAL_DAYS),
        created_at=now,
    )
    session.add(agency)
    builtin = roles.seed_builtin_roles(session, agency.id)
    owner = User(
        id=uuid.uuid4(),
        agency_id=agency.id,
        role_id=builtin[OWNER].id,
        role=builtin[OWNER],
        name=owner_name,
        email=email,
        password_hash=password_hash,
        status="active",
        is_owner=True,
        created_at=now,
        last_login_at=now,
        email_confirmed_at=now,  # the signup link (or the operator) vouches for the address
    )
    session.add(owner)
    users.flush_unique_email(session, email)
    token = sessions.start_session(session, owner, ip, now, settings=settings)
    record_event(
        session,
        principals.in_agency(ctx, agency.id),
        "agency_signed_up",
        {
            "agency_name": agency.name,
            "user_id": str(owner.id),
            "name": owner.name,
            "email": owner.email,
            "plan": plan.code,
            "trial_ends_at": agency.trial_ends_at.isoformat(),
        },
    )
    return {
        "agency": agency_dict(agency, now),
        "principal": principals.principal(owner),
        "session_token": token,
    }


def get_agency_row(session: Session, ctx: Context) -> Agency:
    agency = session.get(Agency, ctx.agency)
    if agency is None:
        raise NotFound("No such agency.")
    return agency


def get_agency(session: Session, ctx: Context) -> dict:
    """The caller's agency, for its team and other services (not for portal contacts)."""
    ctx.require()
    return agency_dict(get_agency_row(session, ctx))


def clean_timezone(value) -> str:
    try:
        if isinstance(value, str) and value in available_timezones():
            ZoneInfo(value)
            return value
    except (ZoneInfoNotFoundError, ValueError):
        pass
    raise ValidationError(
        f"{value!r} is not a time zone.", {"timezone": "Choose a time zone like Europe/Berlin."}
    )


_UNCHANGED = object()


def update_agency(
    session: Session,
    ctx: Context,
    name: str | None = None,
    timezone: str | None = None,
    brand_color: str | object | None = _UNCHANGED,
) -> dict:
    """Change the name, time zone and/or brand colour (`brand_color` "" or None clears it;
    left out, it stays)."""
    ctx.require(MANAGE_SETTINGS)
    agency = get_agency_row(session, ctx)
    errors = FieldErrors()
    if name is not None:
        name = errors.check(clean_name, name)
    if timezone is not None:
        timezone = errors.check(clean_timezone, timezone)
    if brand_color is not _UNCHANGED:
        brand_color = errors.check(branding.clean_color, brand_color)
    errors.raise_if_any()
    if name is not None:
        agency.name = name
    if timezone is not None:
        agency.timezone = timezone
    if brand_color is not _UNCHANGED:
        agency.brand_color = brand_color
    # Billing keeps the time zone (what "today" is for its runs) and the brand from this event.
    branding.agency_changed(session, ctx, agency)
    return agency_dict(agency)


def list_plans(session: Session, ctx: Context) -> list[dict]:
    """The platform's plans and prices: public and the same for everyone (the signup page)."""
    return [plan_dict(plan) for plan in session.scalars(select(Plan).order_by(Plan.position))]


def get_entitlements(session: Session, ctx: Context) -> dict:
    """What the agency's plan allows now; other services check limits against this."""
    ctx.require()
    agency = get_agency_row(session, ctx)
    active_users = session.scalar(
        select(func.count())
        .select_from(User)
        .where(User.agency_id == agency.id, User.status == "active")
    )
    return {
        "plan": plan_dict(agency.plan),
        "client_limit": agency.plan.client_limit,
        "price_per_user": Money(agency.plan.price_per_user, agency.plan.currency).to_dict(),
        "active_users": active_users,
        **subscription.access(agency),
        "trial_ends_at": agency.trial_ends_at.isoformat() if agency.trial_ends_at else None,
    }
