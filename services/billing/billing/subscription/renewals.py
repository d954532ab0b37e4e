"""Renewals of the platform subscription: each agency's, when its period ends (or a declined
renewal's retry day comes), as of the agency's own today; a canceled one ends instead. The rules
are lifecycle.py's; users are counted by identity at the renewal, outside any transaction."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.facts.agencies import agency_today, timezone_of
from billing.invoicing.periods import today_in
from billing.payments.stripe_api import PAID, UNKNOWN
from billing.settings import Settings
from billing.subscription.lifecycle import (
    CYCLE_DAYS,
    LIVE,
    active_users,
    charge_invoice,
    event_data,
    invoice_money,
    iso_date,
    new_invoice,
    subscription_dict,
)
from billing.subscription.models import PlatformInvoice, PlatformSubscription
from kit import permissions
from kit.context import Context
from kit.errors import ServiceUnavailable, ValidationError
from kit.outbox import record_event


def _due(as_of: date):
    return (PlatformSubscription.status.in_(LIVE)) & (
        (PlatformSubscription.next_retry_on.is_(None))
        & (PlatformSubscription.current_period_end <= as_of)
        | (PlatformSubscription.next_retry_on <= as_of)
    )


def agencies_due(session: Session, utc_today: date) -> list[uuid.UUID]:
    """Agencies whose renewal (or retry) may be due (tomorrow in UTC covers every zone)."""
    with session.begin():
        return list(
            session.scalars(
                select(PlatformSubscription.agency_id).where(_due(utc_today + timedelta(days=1)))
            )
        )


def agency_today_of(session: Session, agency_id) -> date:
    with session.begin():
        return today_in(timezone_of(session, uuid.UUID(str(agency_id))))


def renew_agency(session: Session, identity, settings: Settings, agency_id, as_of: date) -> str:
    """Renew (or retry, or end) one agency's subscription if due by `as_of`: what happened."""
    agency_id = uuid.UUID(str(agency_id))
    ctx = Context.system(str(agency_id))
    with session.begin():
        row = session.scalar(
            select(PlatformSubscription).where(
                PlatformSubscription.agency_id == agency_id, _due(as_of)
            )
        )
        if row is None:
            return "not_due"
        if row.cancel_at_period_end:
            row = session.get(PlatformSubscription, agency_id, with_for_update=True)
            row.status, row.next_retry_on = "canceled", None
            record_event(session, ctx, "subscription_ended", event_data(row))
            return "ended"
    users = active_users(identity, agency_id)  # outside any transaction
    with session.begin():
        row = session.get(PlatformSubscription, agency_id, with_for_update=True)
        start = row.current_period_end
        invoice = session.scalar(
            select(PlatformInvoice).where(
                PlatformInvoice.agency_id == agency_id,
                PlatformInvoice.kind == "renewal",
                PlatformInvoice.period_start == start,
                PlatformInvoice.status != "void",
            )
        )
        if invoice is None:
            invoice = new_invoice(
                session,
                row,
                "renewal",
                {"code": row.plan_code, "name": row.plan_name, "currency": row.currency},
                users,
                row.price_per_user,
                CYCLE_DAYS,
                row.price_per_user * users,
                start,
                start + timedelta(days=CYCLE_DAYS),
                as_of,
            )
        invoice_id = invoice.id
    outcome, reason = charge_invoice(session, settings, agency_id, invoice_id)
    if outcome == UNKNOWN:
        return "unknown"
    with session.begin():
        row = session.get(PlatformSubscription, agency_id, with_for_update=True)
        invoice = session.get(PlatformInvoice, invoice_id)
        if outcome == PAID:
            row.status, row.failed_renewals, row.next_retry_on = "active", 0, None
            row.current_period_start, row.current_period_end = (
                invoice.period_start,
                invoice.period_end,
            )
            record_event(
                session,
                ctx,
                "subscription_renewed",
                event_data(
                    row,
                    users=invoice.users,
                    amount=invoice_money(invoice),
                    invoice_id=str(invoice.id),
                ),
            )
            return "renewed"
        row.failed_renewals += 1
        retry_days = settings.subscription_retry_days
        if row.failed_renewals <= len(retry_days):
            row.status = "past_due"
            row.next_retry_on = row.current_period_end + timedelta(
                days=retry_days[row.failed_renewals - 1]
            )
        else:
            row.status, row.next_retry_on = "unpaid", None
            invoice.status = "failed"
        record_event(
            session,
            ctx,
            "subscription_payment_failed",
            event_data(
                row,
                reason=reason,
                attempt=row.failed_renewals,
                next_retry_on=iso_date(row.next_retry_on),
                amount=invoice_money(invoice),
                invoice_id=str(invoice.id),
            ),
        )
        return "failed" if row.status == "past_due" else "unpaid"


def renew_subscription(session: Session, ctx: Context, identity, settings: Settings, as_of) -> dict:
    """Operations and tests: the agency's renewal as of a day (not later than its today)."""
    ctx.require(permissions.MANAGE_SETTINGS)
    day = _parse_day(as_of)
    with session.begin():
        if day > agency_today(session, ctx):
            raise ValidationError(
                "A renewal cannot run ahead of today.", {"as_of": "Choose today or an earlier day."}
            )
    outcome = renew_agency(session, identity, settings, ctx.agency, day)
    with session.begin():
        answer = subscription_dict(session.get(PlatformSubscription, ctx.agency), settings)
    return {"as_of": day.isoformat(), "outcome": outcome, "subscription": answer}


def _parse_day(value) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError("Not a date.", {"as_of": "Use a date like 2026-01-31."}) from None


def renew_due(session: Session, identity, settings: Settings, utc_today: date) -> dict:
    """The timer: every agency due, as of its own today."""
    outcomes: dict[str, int] = {}
    for agency_id in agencies_due(session, utc_today):
        try:
            outcome = renew_agency(
                session, identity, settings, agency_id, agency_today_of(session, agency_id)
            )
        except ServiceUnavailable:  # identity away: the next round tries again
            outcome = "unavailable"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes
