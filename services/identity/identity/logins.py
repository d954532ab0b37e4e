"""Logging in with e-mail and password, throttled per account and address (throttle.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from identity import passwords, principals, sessions, throttle
from identity.settings import Settings
from identity.throttle import Outcome
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.errors import Unauthenticated

BAD_CREDENTIALS = "The e-mail address or password is not right."
INACTIVE = "This account is inactive; ask your agency's administrator."


def login(
    session: Session,
    ctx: Context,
    email: str,
    password: str,
    ip: str | None = None,
    kind: str = TEAM,
    now: datetime | None = None,
    *,
    settings: Settings,
) -> Outcome:
    """Check the credentials and open a session: `{"principal", "session_token"}`."""
    now = now or utcnow()
    principals.check_kind(kind)
    account = throttle.account_key(kind, email if isinstance(email, str) else "")
    throttle.check(session, ip, account, now, settings=settings)
    found = principals.find_by_email(session, kind, email)
    if not passwords.verify_password(found.password_hash if found else None, password):
        throttle.record_failure(session, ip, account, now, settings=settings)
        return Outcome(error=Unauthenticated(BAD_CREDENTIALS))
    if found.status != principals.ACTIVE:
        throttle.record_failure(session, ip, account, now, settings=settings)
        return Outcome(error=Unauthenticated(INACTIVE))
    if passwords.needs_rehash(found.password_hash):
        found.password_hash = passwords.hash_password(password)
    throttle.clear_login(session, ip, account)
    found.last_login_at = now
    token = sessions.start_session(session, found, ip, now, settings=settings)
    return Outcome({"principal": principals.principal(found), "session_token": token})
