"""Changing passwords: forgotten-password resets by e-mail and changes by their owner."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from identity import one_time, passwords, principals, sessions
from kit.context import PORTAL, TEAM, Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.outbox import record_event

# More requests than this in an hour are ignored (same answer): no mail-bombing a person.
MAX_RESETS_PER_HOUR = 5


def set_password(
    session: Session, ctx: Context, login: principals.Login, new_password: str, reason: str
) -> None:
    """Give `login` a new password (policy checked), end all its sessions, tell its owner."""
    passwords.check_password_policy(new_password, login.email)
    login.password_hash = passwords.hash_password(new_password)
    sessions.end_all_sessions(session, login)
    record_event(
        session,
        principals.in_agency(ctx, login.agency_id),
        "password_changed",
        {**principals.recipient(session, login), "reason": reason},
    )


def request_password_reset(
    session: Session, ctx: Context, email: str, kind: str = TEAM, now: datetime | None = None
) -> None:
    """E-mail a reset link (through the event) if the account exists; answer the same if not."""
    now = now or utcnow()
    login = principals.find_by_email(session, principals.check_kind(kind), email)
    if login is None or login.status != principals.ACTIVE:
        return None
    recent = one_time.recent_count(
        session, login, one_time.PASSWORD_RESET, now - timedelta(hours=1)
    )
    if recent >= MAX_RESETS_PER_HOUR:
        return None
    token, expires_at = one_time.issue(session, login, one_time.PASSWORD_RESET, now)
    record_event(
        session,
        principals.in_agency(ctx, login.agency_id),
        "password_reset_requested",
        {
            **principals.recipient(session, login),
            "reset_token": token,
            "expires_at": expires_at.isoformat(),
        },
    )
    return None


def reset_password(session: Session, ctx: Context, token: str, new_password: str) -> None:
    """Set a new password with a reset token (single use); every session of the account ends."""
    login = one_time.consume(session, token, one_time.PASSWORD_RESET)
    set_password(session, ctx, login, new_password, reason="reset")


def change_password(
    session: Session, ctx: Context, current_password: str, new_password: str, ip=None
) -> dict:
    """The caller changes their own password; other sessions end, a fresh one is returned."""
    login = principals.caller(session, ctx, kinds=(TEAM, PORTAL))
    if not passwords.verify_password(login.password_hash, current_password):
        raise ValidationError(
            "The current password is not right.",
            {"current_password": "This is not your current password."},
        )
    if new_password == current_password:
        raise ValidationError(
            "The new password is the same as the current one.",
            {"new_password": "Choose a password different from the current one."},
        )
    problem = passwords.password_problem(new_password, login.email)
    if problem:
        raise ValidationError(f"The password is too weak: {problem}", {"new_password": problem})
    set_password(session, ctx, login, new_password, reason="changed")
    return {"session_token": sessions.start_session(session, login, ip)}
