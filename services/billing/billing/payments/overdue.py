"""The agency's rule "set a client inactive when an invoice has been failed for N days" (off by
default) and the timer's side of it.

Billing does not change clients: it publishes `client_payment_overdue` (once per failed invoice
past the agency's N days, counted from the first decline) and the clients service sets the
client inactive when it handles it. The invoices reported and the event are one transaction.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.models import BillingSettings, Invoice
from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.outbox import record_event

MAX_DAYS = 365


def settings_dict(row: BillingSettings | None) -> dict:
    return {"inactive_after_failed_days": row.inactive_after_failed_days if row else None}


def get_billing_settings(session: Session, ctx: Context) -> dict:
    ctx.require_any(permissions.MANAGE_SETTINGS, permissions.VIEW_BILLING)
    return settings_dict(session.get(BillingSettings, ctx.agency))


def set_billing_settings(session: Session, ctx: Context, inactive_after_failed_days: Any) -> dict:
    """`inactive_after_failed_days`: 1 to 365, or None to turn the rule off."""
    ctx.require(permissions.MANAGE_SETTINGS)
    days = inactive_after_failed_days
    if days is not None and (
        isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS
    ):
        raise ValidationError(
            f"Give a whole number of days from 1 to {MAX_DAYS}, or nothing to turn this off.",
            {"inactive_after_failed_days": f"1 to {MAX_DAYS} days, or null"},
        )
    row = session.get(BillingSettings, ctx.agency, with_for_update=True)
    if row is None:
        row = BillingSettings(agency_id=ctx.agency)
        session.add(row)
    row.inactive_after_failed_days, row.updated_at = days, utcnow()
    session.flush()
    return settings_dict(row)


def report_overdue(session: Session, now: datetime | None = None) -> int:
    """Publish `client_payment_overdue` for each client with an invoice failed for longer than
    its agency allows and not reported yet; returns how many events (one transaction)."""
    now = now or utcnow()
    rows = session.execute(
        select(Invoice, BillingSettings.inactive_after_failed_days)
        .join(BillingSettings, BillingSettings.agency_id == Invoice.agency_id)
        .where(
            BillingSettings.inactive_after_failed_days.is_not(None),
            Invoice.status == "failed",
            Invoice.overdue_reported_at.is_(None),
            Invoice.failed_at.is_not(None),
        )
        .order_by(Invoice.agency_id, Invoice.client_id, Invoice.number)
        .with_for_update(of=Invoice, skip_locked=True)
    ).all()
    by_client: dict[tuple[uuid.UUID, uuid.UUID], list[tuple[Invoice, int]]] = defaultdict(list)
    for invoice, days in rows:
        if invoice.failed_at <= now - timedelta(days=days):
            by_client[(invoice.agency_id, invoice.client_id)].append((invoice, days))
    for (agency_id, client_id), overdue in by_client.items():
        for invoice, _ in overdue:
            invoice.overdue_reported_at = now
        record_event(
            session,
            Context.system(str(agency_id)),
            "client_payment_overdue",
            {
                "client_id": str(client_id),
                "client_name": overdue[0][0].client_name,
                "failed_days": overdue[0][1],
                "invoice_ids": [str(invoice.id) for invoice, _ in overdue],
                "numbers": [invoice.number for invoice, _ in overdue],
                "failed_since": min(i.failed_at for i, _ in overdue).isoformat(),
            },
        )
    return len(by_client)
