"""Signing up without telling anyone but the address's owner whether it has an account.

`request_signup` answers the same whatever the address: for a new one it keeps the signup
pending and e-mails a link (`signup_requested`); for one that has an account it e-mails that
account's owner a notice instead (`signup_existing_account`: log in, or reset the password). The
password is hashed either way, so the time taken does not tell them apart either. Opening the
link (`confirm_signup`) creates the agency and signs its owner in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from identity import agencies, passwords, users
from identity.models import PendingSignup, User
from identity.settings import Settings
from identity.tokens import new_token
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound
from kit.ids import hash_token
from kit.outbox import record_event

LINK_VALID = timedelta(hours=24)
# More signups of one address than this in an hour are ignored (same answer): no mail-bombing.
MAX_PER_HOUR = 5
USED_LINK = "This signup link is not valid any more; sign up again to get a new one."


def request_signup(
    session: Session,
    ctx: Context,
    agency_name: str,
    owner_name: str,
    email: str,
    password: str,
    now: datetime | None = None,
) -> None:
    """Check the fields (field errors are the same for every address), then e-mail the address:
    a link to finish signing up, or a notice that it already has an account."""
    now = now or utcnow()
    agency_name, owner_name, email = agencies.check_signup_fields(
        agency_name, owner_name, email, password
    )
    password_hash = passwords.hash_password(password)
    recent = session.scalar(
        select(func.count())
        .select_from(PendingSignup)
        .where(
            func.lower(PendingSignup.email) == email.lower(),
            PendingSignup.created_at > now - timedelta(hours=1),
        )
    )
    if recent >= MAX_PER_HOUR:
        return
    # Only a confirmed address has an account (a pending one may merely have been typed in by
    # some agency adding a user).
    existing = session.scalar(
        select(User).where(
            func.lower(User.email) == email.lower(), User.email_confirmed_at.is_not(None)
        )
    )
    # A row either way: it also counts the notices towards the hourly limit.
    token = new_token()
    session.add(
        PendingSignup(
            token_hash=hash_token(token),
            agency_name=agency_name,
            owner_name=owner_name,
            email=email,
            password_hash=password_hash if existing is None else "",
            created_at=now,
            expires_at=now + LINK_VALID if existing is None else now,
        )
    )
    if existing is not None:
        record_event(
            session,
            ctx,
            "signup_existing_account",
            {"email": existing.email, "name": existing.name},
        )
        return
    record_event(
        session,
        ctx,
        "signup_requested",
        {
            "email": email,
            "name": owner_name,
            "agency_name": agency_name,
            "confirm_token": token,
            "expires_at": (now + LINK_VALID).isoformat(),
        },
    )


def confirm_signup(
    session: Session,
    ctx: Context,
    token: str,
    ip: str | None = None,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> dict:
    """Create the agency of a pending signup (its link works once, for a day) and sign its
    owner in: `{"agency", "principal", "session_token"}`."""
    now = now or utcnow()
    if not isinstance(token, str) or not token:
        raise NotFound(USED_LINK)
    pending = session.scalar(
        select(PendingSignup).where(PendingSignup.token_hash == hash_token(token))
    )
    if pending is None or pending.expires_at <= now or not pending.password_hash:
        raise NotFound(USED_LINK)
    session.execute(
        delete(PendingSignup).where(func.lower(PendingSignup.email) == pending.email.lower())
    )
    if users.email_taken(session, pending.email):
        # Only the mailbox's owner can get here: saying so tells nobody else anything.
        raise Conflict(
            f"{pending.email} already has an account; log in, or reset its password.",
            {"email": "This e-mail address already has an account."},
        )
    return agencies.create_agency(
        session,
        ctx,
        pending.agency_name,
        pending.owner_name,
        pending.email,
        pending.password_hash,
        ip,
        now,
        settings=settings,
    )
