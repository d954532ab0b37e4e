"""Charge now: a one-time fee for a client and a catalog service, invoiced at once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from billing.catalog.services import assignable_service
from billing.common import MAX_NOTE, clean_amount, clean_currency
from billing.facts.agencies import agency_today
from billing.facts.clients import billable_client
from billing.invoicing.invoices import Draft, Line, find_invoice, invoice_with_lines, issue
from billing.invoicing.numbering import lock_counter
from billing.payments.accounts import clean_payment_method
from billing.settings import Settings
from kit import permissions
from kit.context import Context
from kit.inputs import clean_text


def charge_now(
    session: Session,
    ctx: Context,
    client_id: Any,
    service_id: Any,
    amount: Any,
    settings: Settings,
    note: Any = None,
    payment_method: Any = "check",
    currency: Any = "USD",
) -> dict:
    """Issue a one-time invoice of `amount` (minor units) for the service, dated today."""
    ctx.require(permissions.MANAGE_BILLING)
    client = billable_client(session, ctx, client_id)
    service = assignable_service(session, ctx, service_id)
    amount = clean_amount(amount, "amount")
    note = clean_text(note, "note", MAX_NOTE)
    draft = Draft(
        client_id=client.client_id,
        client_name=client.name,
        payment_method=clean_payment_method(session, ctx, payment_method),
        currency=clean_currency(currency),
        lines=[
            Line(service_id=service.id, service_name=service.name, amount=amount, description=note)
        ],
        note=note,
    )
    last = lock_counter(session, ctx.agency)
    issue(session, ctx, [draft], agency_today(session, ctx), settings.payment_terms_days, last)
    session.flush()
    return invoice_with_lines(session, find_invoice(session, ctx, draft.id))
