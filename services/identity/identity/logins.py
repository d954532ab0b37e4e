"""Logging in with e-mail and password, throttled per IP and per account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from identity import passwords, principals, sessions, throttle
from kit.context import TEAM, Context
from kit.db import utcnow
from kit.errors import DomainError, Unauthenticated

BAD_CREDENTIALS = "The e-mail address or password is not right."
INACTIVE = "This account is inactive; ask your agency's administrator."


@dataclass
class Outcome:
    """A login's answer. A refusal is returned, not raised, so that the failure it records is
    committed with the transaction before the refusal is raised to the caller."""

    value: dict | None = None
    error: DomainError | None = None

    def result(self) -> dict:
        if self.error is not None:
            raise self.error
        return self.value


def login(
    session: Session,
    ctx: Context,
    email: str,
    password: str,
    ip: str | None = None,
    kind: str = TEAM,
    now: datetime | None = None,
) -> Outcome:
    """Check the credentials and open a session: `{"principal", "session_token"}`."""
    now = now or utcnow()
    principals.check_kind(kind)
    account = throttle.account_key(kind, email if isinstance(email, str) else "")
    throttle.check(session, ip, account, now)
    found = principals.find_by_email(session, kind, email)
    if not passwords.verify_password(found.password_hash if found else None, password):
        throttle.record_failure(session, ip, account, now)
        return Outcome(error=Unauthenticated(BAD_CREDENTIALS))
    if found.status != principals.ACTIVE:
        throttle.record_failure(session, ip, account, now)
        return Outcome(error=Unauthenticated(INACTIVE))
    if passwords.needs_rehash(found.password_hash):
        found.password_hash = passwords.hash_password(password)
    throttle.clear_account(session, account)
    found.last_login_at = now
    token = sessions.start_session(session, found, ip, now)
    return Outcome({"principal": principals.principal(found), "session_token": token})
