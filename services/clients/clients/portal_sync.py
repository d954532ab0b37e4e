"""Bringing identity's portal logins in line with the contacts, outside any clients transaction.

The rule (docs/contracts.md, "Calls to other systems"): identity is never called inside an open
clients transaction. The clients side is the truth: a change that a login must follow is
committed together with a `portal_syncs` row (portal_access.mark_due); then, with no transaction
open, `push_due` sends each due contact's whole login state to identity (name, e-mail and client
for a contact with portal access, "disabled" for one without). Identity's portal-login calls set
a state, so sending it twice is harmless; a row is deleted only if no newer change came meanwhile
(its `version`), else the state is sent again. A push that fails (identity down, a timeout)
keeps the row; the service's reconciler (`push_due` on a timer) retries it with back-off, so a
crash or a failed commit between the two systems is healed, never left.

What the user sees: an e-mail another portal login has is refused on the same request, before
anything is written (`check_new_email`); accepting an invitation answers with the new login's
session, because identity creates it in the request (`accept_invitation`).

Every function here takes a session with no transaction in progress and commits its own short
transactions around the calls.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clients.common import Identity
from clients.invitations import claim_invitation, complete_invitation
from clients.models import Contact, PortalSync
from clients.portal_access import email_taken, login_email_change, mark_due
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, DomainError, NotFound, ValidationError
from kit.tables import backoff_seconds

log = logging.getLogger(__name__)

PUSH_BATCH = 50
PUSH_ROUNDS = 3  # pushes of one contact in a row that raced newer changes, before the timer
MAX_BACKOFF = timedelta(minutes=30)


def check_new_email(
    session: Session, ctx: Context, identity: Identity, contact_id: str, email: object
) -> None:
    """Refuse, before anything is written, a new e-mail for a contact with a portal login when
    another portal login (here or at another agency) has it."""
    new = login_email_change(session, ctx, contact_id, email)
    session.commit()  # nothing was written; no transaction stays open over the call
    if new is None:
        return
    try:
        identity.check_portal_email(ctx.to_dict(), str(contact_id), new)
    except Conflict as exc:
        if "email" in (exc.fields or {}):
            raise email_taken() from None
        raise


def accept_invitation(
    session: Session, ctx: Context, identity: Identity, token: str, password: str
) -> dict:
    """Create the contact's portal login from an invitation link; `{"contact_id", "client_id",
    "agency_id", "email", "principal", "session_token"}`, the login already signed in.

    The claim (checks, and the contact marked due) commits first; identity creates the login;
    then the acceptance commits. A crash in between leaves the contact due: the reconciler then
    disables the login identity made, and the link still works."""
    claim = claim_invitation(session, ctx, token)
    session.commit()
    system = Context.system(claim["agency_id"], ctx.request_id)
    try:
        login = identity.create_portal_login(
            system.to_dict(),
            claim["contact_id"],
            claim["client_id"],
            claim["email"],
            claim["name"],
            password,
        )
    except (Conflict, ValidationError) as exc:
        # identity refused and created nothing: nothing to bring in line
        _settled(session, uuid.UUID(claim["contact_id"]), claim["version"])
        if isinstance(exc, Conflict) and "email" in (exc.fields or {}):
            raise email_taken(
                "This e-mail address cannot be given portal access; "
                "ask the agency to invite another address."
            ) from None
        raise
    try:
        accepted = complete_invitation(session, system, claim["invitation_id"])
        session.commit()
    finally:
        session.rollback()  # if the acceptance failed, the push below disables the new login
        _push_all(session, identity, uuid.UUID(claim["agency_id"]))
    return {**accepted, "principal": login["principal"], "session_token": login["session_token"]}


def push_due(session: Session, ctx: Context, identity: Identity) -> int:
    """Send identity the state of the caller's agency's contacts that are due (a request's own
    changes, right after their commit); how many were brought in line."""
    return _push_all(session, identity, ctx.agency)


def reconcile(session: Session, identity: Identity) -> int:
    """Send identity the state of every agency's contacts whose grace or back-off has passed
    (the service's timer); how many were brought in line."""
    return _push_all(session, identity, None)


def _push_all(session: Session, identity: Identity, agency: uuid.UUID | None) -> int:
    query = select(PortalSync.contact_id).order_by(PortalSync.due_at).limit(PUSH_BATCH)
    if agency is None:
        query = query.where(PortalSync.due_at <= utcnow())
    else:
        query = query.where(PortalSync.agency_id == agency)
    due = session.scalars(query).all()
    session.commit()
    return sum(_push(session, identity, contact_id) for contact_id in due)


def _push(session: Session, identity: Identity, contact_id: uuid.UUID) -> bool:
    for _ in range(PUSH_ROUNDS):
        row = session.get(PortalSync, contact_id)
        if row is None:
            session.commit()
            return True
        contact = session.get(Contact, contact_id)
        version, agency = row.version, row.agency_id
        state = _login_state(contact)
        session.commit()
        try:
            _apply(identity, agency, contact_id, state)
        except DomainError as exc:  # identity down or refusing: keep the row, retry later
            _failed(session, contact_id, version, exc)
            return False
        if _settled(session, contact_id, version):
            return True
        # A newer change came while we called: what we sent may be stale, so send it again.
        mark_due(session, agency, [contact_id])
        session.commit()
    return False


def _login_state(contact: Contact) -> dict | None:
    """What identity's login of the contact must say; None for a contact without access."""
    if contact.portal_status != "active" or contact.archived_at is not None:
        return None
    return {"email": contact.email, "name": contact.name, "client_id": str(contact.client_id)}


def _apply(identity: Identity, agency: uuid.UUID, contact_id: uuid.UUID, state: dict | None):
    # identity lets only the platform itself disable one login
    system = Context.system(str(agency)).to_dict()
    try:
        if state is None:
            identity.disable_portal_login(system, str(contact_id))
        else:
            identity.update_portal_login(system, str(contact_id), **state)
    except NotFound:  # no login there: nothing to bring in line
        pass


def _settled(session: Session, contact_id: uuid.UUID, version: int) -> bool:
    """Forget the due change if no newer one came; whether it was forgotten."""
    result = session.execute(
        delete(PortalSync).where(PortalSync.contact_id == contact_id, PortalSync.version == version)
    )
    session.commit()
    return result.rowcount == 1


def _failed(session: Session, contact_id: uuid.UUID, version: int, exc: DomainError) -> None:
    row = session.get(PortalSync, contact_id)
    if row is not None and row.version == version:
        row.attempts += 1
        wait = min(timedelta(seconds=backoff_seconds(row.attempts)), MAX_BACKOFF)
        row.due_at = utcnow() + wait
        row.last_error = f"{type(exc).__name__}: {exc.message}"[:2000]
    session.commit()
    log.warning("portal login of contact %s not brought in line yet: %s", contact_id, exc)
