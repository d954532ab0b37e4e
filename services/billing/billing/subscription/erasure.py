"""A deleted agency in billing: every row of it erased (identity's `agency_deleted`), and its
customer on the platform's Stripe account removed after the transaction, by a timer that keeps
trying until Stripe agrees (never a Stripe call inside the handler's transaction)."""

from __future__ import annotations

import logging
import uuid

import stripe
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.models import Base
from billing.settings import Settings
from billing.subscription import platform_stripe
from billing.subscription.models import PlatformCustomerDeletion, PlatformSubscription
from kit.erasure import erase_agency

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 50


def erase_deleted_agency(session: Session, agency_id) -> dict[str, int]:
    """In the handler's transaction: note the Stripe customer to delete, then erase."""
    row = session.get(PlatformSubscription, uuid.UUID(str(agency_id)))
    if row is not None:
        session.execute(
            insert(PlatformCustomerDeletion)
            .values(customer_id=row.customer_id, attempts=0)
            .on_conflict_do_nothing()
        )
    return erase_agency(session, Base.metadata, agency_id)


def delete_customers(session: Session, settings: Settings) -> int:
    """Remove the noted customers at Stripe, one short transaction each side of every call."""
    with session.begin():
        pending = session.scalars(
            select(PlatformCustomerDeletion.customer_id).where(
                PlatformCustomerDeletion.attempts < MAX_ATTEMPTS
            )
        ).all()
    done = 0
    for customer_id in pending:
        error = None
        try:
            platform_stripe.platform_client(settings).v1.customers.delete(customer_id)
        except stripe.InvalidRequestError as exc:
            if getattr(exc, "http_status", None) != 404:
                error = str(exc)
        except stripe.StripeError as exc:
            error = str(exc)
        with session.begin():
            row = session.get(PlatformCustomerDeletion, customer_id, with_for_update=True)
            if row is None:
                continue
            if error is None:
                session.delete(row)
                done += 1
            else:
                row.attempts, row.last_error = row.attempts + 1, error[:500]
                log.warning("deleting platform customer %s: %s", customer_id, error)
    return done
