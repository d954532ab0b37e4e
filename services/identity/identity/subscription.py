"""The agency's access to the platform: its trial, the subscription billing tells it about, the
read-only state, the trial's reminder, the onboarding request and the deletion of the account.

Billing owns the subscription and its charges; identity keeps the plan and `subscription_status`
from billing's events (each carries the status, the plan and a version number: an older event
arriving late changes nothing). What the gateway enforces is `access`: an agency whose trial has
ended without a subscription, whose renewal failed past its retries (`unpaid`) or whose canceled
subscription has run out is read-only until it subscribes (or deletes its account).
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from identity import passwords
from identity.models import Agency, Base, Plan, User
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.erasure import erase_agency
from kit.errors import PermissionDenied, ValidationError
from kit.outbox import event_payload, record_event
from kit.tables import OutboxEvent
from kit.validation import FieldErrors

TRIAL_ENDING_DAYS = 3
TRIAL_ENDED = "trial_ended"
# Statuses in which the team may look but not change anything until the agency subscribes.
READ_ONLY_STATUSES = frozenset({TRIAL_ENDED, "unpaid", "canceled"})
# What billing's events may set (anything else is ignored, not stored).
BILLING_STATUSES = frozenset({"active", "past_due", "unpaid", "canceled"})
MAX_MESSAGE = 2000


def effective_status(agency: Agency, now: datetime | None = None) -> str:
    """The stored status, with a trial that has run out reported as `trial_ended`."""
    status = agency.subscription_status
    if status == "trialing" and agency.trial_ends_at and agency.trial_ends_at <= (now or utcnow()):
        return TRIAL_ENDED
    return status


def access(agency: Agency | None, now: datetime | None = None) -> dict:
    """What the principal carries for the gateway: `{"subscription_status", "read_only"}`."""
    if agency is None:  # a portal login made for an agency identity has not got (tests)
        return {"subscription_status": None, "read_only": False}
    status = effective_status(agency, now)
    return {"subscription_status": status, "read_only": status in READ_ONLY_STATUSES}


def follow_billing_event(session: Session, payload: dict) -> None:
    """A billing subscription event: the agency's plan and status as billing says (in order)."""
    agency = session.get(
        Agency, uuid.UUID(str(payload["agency_id"])), with_for_update={"of": Agency}
    )
    version = int(payload.get("version") or 0)
    if agency is None or version <= agency.subscription_version:
        return
    agency.subscription_version = version
    if payload.get("status") in BILLING_STATUSES:
        agency.subscription_status = payload["status"]
    plan = payload.get("plan")
    if plan and session.get(Plan, plan) is not None:
        agency.plan_code = plan
        agency.plan = session.get(Plan, plan)


def owner_of(session: Session, agency_id) -> User | None:
    return session.scalar(select(User).where(User.agency_id == agency_id, User.is_owner))


def send_trial_reminders(session: Session, now: datetime | None = None) -> int:
    """`trial_ending` (to the owner) for each trial ending within three days, once per agency."""
    now = now or utcnow()
    due = session.scalars(
        select(Agency)
        .where(
            Agency.subscription_status == "trialing",
            Agency.trial_ending_sent_at.is_(None),
            Agency.trial_ends_at > now,
            Agency.trial_ends_at <= now + timedelta(days=TRIAL_ENDING_DAYS),
        )
        .with_for_update(skip_locked=True, of=Agency)
    ).all()
    for agency in due:
        agency.trial_ending_sent_at = now
        owner = owner_of(session, agency.id)
        if owner is None:
            continue
        days_left = max(1, -(-int((agency.trial_ends_at - now).total_seconds()) // 86400))
        record_event(
            session,
            Context.system(str(agency.id)),
            "trial_ending",
            {
                "agency_name": agency.name,
                "user_id": str(owner.id),
                "name": owner.name,
                "email": owner.email,
                "trial_ends_at": agency.trial_ends_at.isoformat(),
                "days_left": days_left,
            },
        )
    return len(due)


def request_onboarding(session: Session, ctx: Context, message=None, phone=None) -> dict:
    """A team member asks for an onboarding specialist: e-mailed to the platform's staff."""
    ctx.require()
    if ctx.kind != TEAM:
        raise PermissionDenied("This is for the agency's team.")
    errors = FieldErrors()
    message = _optional_text(errors, "message", message, MAX_MESSAGE)
    phone = _optional_text(errors, "phone", phone, 40)
    errors.raise_if_any()
    agency = session.get(Agency, ctx.agency)
    user = session.get(User, uuid.UUID(str(ctx.principal_id)))
    record_event(
        session,
        ctx,
        "onboarding_requested",
        {
            "agency_name": agency.name,
            "name": user.name,
            "email": user.email,
            "phone": phone,
            "message": message,
            "subscription_status": effective_status(agency),
            "plan": agency.plan_code,
        },
    )
    return {"requested": True, "email": user.email}


def _optional_text(errors: FieldErrors, field: str, value, limit: int) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\x00" in value:
        errors.fields[field] = "Enter text."
        return None
    value = value.strip()
    if len(value) > limit:
        errors.fields[field] = f"This is too long (at most {limit} characters)."
    return value or None


def delete_agency(session: Session, ctx: Context, password) -> dict:
    """The owner deletes the agency, confirming with the password: every row of it here goes,
    and `agency_deleted` tells every other service to erase its own."""
    ctx.require()
    user = session.get(User, uuid.UUID(str(ctx.principal_id))) if ctx.kind == TEAM else None
    if user is None or user.agency_id != ctx.agency or not user.is_owner:
        raise PermissionDenied("Only the agency's owner can delete the account.")
    if not passwords.verify_password(user.password_hash, password):
        raise ValidationError(
            "The password is not right.", {"password": "Enter your password to confirm."}
        )
    agency = session.get(Agency, ctx.agency, with_for_update={"of": Agency})
    name = agency.name
    erased = erase_agency(session, Base.metadata, agency.id)
    session.execute(delete(Agency).where(Agency.id == agency.id))
    erased["agencies"] = 1
    # The notice itself is kept without an agency column: nothing of the agency stays here.
    payload = event_payload(
        ctx, "agency_deleted", {"agency_name": name, "deleted_by": str(user.id)}
    )
    session.add(
        OutboxEvent(
            event_id=uuid.UUID(payload["event_id"]),
            agency_id=None,
            event_type="agency_deleted",
            payload=payload,
        )
    )
    return {"deleted": True, "agency_id": str(agency.id)}
