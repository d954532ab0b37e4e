"""Changing passwords: forgotten-password resets by e-mail and changes by their owner."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from identity import api_tokens, one_time, passwords, principals, sessions, throttle
from identity.models import PasswordResetRequest
from identity.settings import Settings
from identity.throttle import Outcome
from kit.context import PORTAL, TEAM, Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.outbox import record_event
from kit.validation import MAX_EMAIL

log = logging.getLogger(__name__)

# More requests than this in an hour are ignored (same answer): no mail-bombing a person.
MAX_RESETS_PER_HOUR = 5
# Waiting reset requests handled in one transaction of `send_requested_resets`.
RESET_BATCH = 20


def set_password(
    session: Session,
    ctx: Context,
    login: principals.Login,
    new_password: str,
    reason: str,
    *,
    revoke_tokens: bool = True,
) -> None:
    """Give `login` a new password (policy checked), end all its sessions and (unless its owner
    chose to keep them) revoke its API tokens, tell its owner."""
    passwords.check_password_policy(new_password, login.email)
    login.password_hash = passwords.hash_password(new_password)
    sessions.end_all_sessions(session, login)
    revoked = api_tokens.revoke_all_api_tokens(session, login) if revoke_tokens else 0
    record_event(
        session,
        principals.in_agency(ctx, login.agency_id),
        "password_changed",
        {**principals.recipient(session, login), "reason": reason, "tokens_revoked": revoked},
    )


def request_password_reset(
    session: Session, ctx: Context, email: str, kind: str = TEAM, now: datetime | None = None
) -> None:
    """Take note of a request for a reset link; `send_requested_resets` e-mails it, if the
    address has an active account, soon after the reply.

    The request path writes one row and looks nothing up, so neither the answer nor the time it
    takes tells whether the address has an account (or is inactive, or over its hourly limit).
    """
    principals.check_kind(kind)
    address = email.strip()[:MAX_EMAIL] if isinstance(email, str) else ""
    session.add(
        PasswordResetRequest(
            kind=kind,
            email=address,
            request_id=(ctx.request_id or "")[:64] or None,
            requested_at=now or utcnow(),
        )
    )
    return None


def send_requested_resets(session: Session, now: datetime | None = None) -> int:
    """Handle the waiting reset requests, oldest first (one batch; several processes may share
    the work): each becomes a single-use link in a `password_reset_requested` event when its
    address has an active account under the hourly limit, and nothing otherwise. Returns how
    many requests were handled. Runs in the caller's transaction."""
    now = now or utcnow()
    waiting = session.scalars(
        select(PasswordResetRequest)
        .order_by(PasswordResetRequest.requested_at)
        .limit(RESET_BATCH)
        .with_for_update(skip_locked=True)
    ).all()
    for request in waiting:
        session.delete(request)
        try:
            with session.begin_nested():
                _send_reset(session, request, now)
        except Exception:
            # One bad request must not hold up the others; the person can ask again.
            log.exception("password reset request %s failed", request.id)
    return len(waiting)


def _send_reset(session: Session, request: PasswordResetRequest, now: datetime) -> None:
    login = principals.find_by_email(session, request.kind, request.email)
    if login is None or login.status != principals.ACTIVE:
        return
    recent = one_time.recent_count(
        session, login, one_time.PASSWORD_RESET, now - timedelta(hours=1)
    )
    if recent >= MAX_RESETS_PER_HOUR:
        return
    token, expires_at = one_time.issue(session, login, one_time.PASSWORD_RESET, now)
    record_event(
        session,
        Context.system(str(login.agency_id), request.request_id),
        "password_reset_requested",
        {
            **principals.recipient(session, login),
            "reset_token": token,
            "expires_at": expires_at.isoformat(),
        },
    )


def reset_password(session: Session, ctx: Context, token: str, new_password: str) -> None:
    """Set a new password with a reset token (single use); every session of the account ends and
    every API token is revoked: whoever knew the old password may have made one."""
    login = one_time.consume(session, token, one_time.PASSWORD_RESET)
    set_password(session, ctx, login, new_password, reason="reset")
    # The link proves the mailbox: whatever guessing went on, its owner gets back in.
    throttle.clear_account(session, throttle.account_key(principals.kind_of(login), login.email))


def change_password(
    session: Session,
    ctx: Context,
    current_password: str,
    new_password: str,
    ip: str | None = None,
    revoke_tokens: bool = False,
    *,
    settings: Settings,
) -> Outcome:
    """The caller changes their own password; other sessions end, a fresh one is returned; the
    caller's API tokens are revoked too when `revoke_tokens` (the caller chooses).

    Wrong current passwords count against the account like failed logins (and share their
    limit), so a stolen session cannot be used to guess the password."""
    login = principals.caller(session, ctx, kinds=(TEAM, PORTAL))
    account = throttle.account_key(principals.kind_of(login), login.email)
    throttle.check(session, ip, account, settings=settings, refusal=throttle.TOO_MANY_PASSWORDS)
    if not passwords.verify_password(login.password_hash, current_password):
        throttle.record_failure(session, ip, account, settings=settings)
        return Outcome(
            error=ValidationError(
                "The current password is not right.",
                {"current_password": "This is not your current password."},
            )
        )
    if new_password == current_password:
        raise ValidationError(
            "The new password is the same as the current one.",
            {"new_password": "Choose a password different from the current one."},
        )
    problem = passwords.password_problem(new_password, login.email)
    if problem:
        raise ValidationError(f"The password is too weak: {problem}", {"new_password": problem})
    throttle.clear_login(session, ip, account)
    set_password(
        session, ctx, login, new_password, reason="changed", revoke_tokens=bool(revoke_tokens)
    )
    return Outcome({"session_token": sessions.start_session(session, login, ip, settings=settings)})
