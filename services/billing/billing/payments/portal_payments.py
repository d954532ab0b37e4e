"""The client portal's billing: a contact sees its own client's invoices (another client's id
is NotFound, as an unknown one), pays an open or failed one by card (the saved card, or a new
one confirmed with Stripe.js and saved first), and sees which card is saved. Stripe is called
between transactions (cards.py, charging.py)."""

from __future__ import annotations

import uuid
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.invoicing.invoices import invoice_dict, invoice_with_lines
from billing.models import Invoice, StripeAccount, StripeCustomer
from billing.payments import cards, charging
from billing.payments.accounts import key_refused
from billing.settings import Settings
from kit.context import PORTAL, Context
from kit.errors import Conflict, NotFound, PaymentFailed, PermissionDenied, ValidationError
from kit.ids import parse_id
from kit.inputs import one_of
from kit.paging import page_of
from kit.vocabulary import INVOICE_STATUSES

PAYABLE = ("open", "failed")


def _client_of(ctx: Context) -> uuid.UUID:
    if ctx.kind != PORTAL or not ctx.client_id:
        raise PermissionDenied("This is the client portal's.")
    return uuid.UUID(str(ctx.client_id))


def _own_invoice(session: Session, ctx: Context, invoice_id: Any) -> Invoice:
    invoice = session.get(Invoice, parse_id(invoice_id, "invoice"))
    if invoice is None or invoice.agency_id != ctx.agency or invoice.client_id != _client_of(ctx):
        raise NotFound("No such invoice.")
    return invoice


def portal_list_invoices(
    session: Session, ctx: Context, status: Any = None, page: Any = 1, per_page: Any = 25
) -> dict:
    """The contact's client's invoices, newest first (void ones too: history is kept)."""
    query = select(Invoice).where(
        Invoice.agency_id == ctx.agency, Invoice.client_id == _client_of(ctx)
    )
    if status is not None:
        query = query.where(Invoice.status == one_of(status, INVOICE_STATUSES))
    query = query.order_by(Invoice.number.desc())
    return page_of(session, query, page, per_page, lambda rows: [invoice_dict(r[0]) for r in rows])


def portal_get_invoice(session: Session, ctx: Context, invoice_id: Any) -> dict:
    return invoice_with_lines(session, _own_invoice(session, ctx, invoice_id))


def portal_card(session: Session, ctx: Context) -> dict:
    """`{"card_payments": bool, "card": "visa ending 4242" | None}` for the contact's client."""
    return cards.card_on_file(session, ctx.agency, _client_of(ctx))


def portal_pay_invoice(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    invoice_id: Any,
    setup_intent_id: Any = None,
) -> dict:
    """Pay an open or failed invoice of the contact's client by card now: with the card of
    `setup_intent_id` (saved first, for later invoices too) or the saved one."""
    client_id = _client_of(ctx)
    with session.begin():
        invoice = _own_invoice(session, ctx, invoice_id)
        if invoice.status not in PAYABLE:
            raise Conflict(f"Invoice {invoice.number} is {invoice.status}: nothing to pay.")
        if session.get(StripeAccount, ctx.agency) is None:
            raise Conflict("Card payments are off: pay as the invoice says.")
        customer = session.get(StripeCustomer, client_id)
        has_card = customer is not None and bool(customer.payment_method_id)
        invoice_key = invoice.id
    if setup_intent_id:
        cards.save_card(session, ctx, cipher, settings, str(client_id), setup_intent_id)
    elif not has_card:
        raise ValidationError("Enter a card first.", {"setup_intent_id": "No card is saved."})
    outcome = charging.charge_invoice(
        session, cipher, settings, ctx.agency_id, invoice_key, by_client=True
    )
    with session.begin():
        answer = invoice_with_lines(session, session.get(Invoice, invoice_key))
    if outcome == charging.DECLINED:
        raise PaymentFailed(
            f"The card was declined: {answer['failure_reason']}",
            {"card": answer["failure_reason"]},
        )
    if outcome == charging.KEY_REFUSED:
        raise key_refused()
    if outcome == charging.UNKNOWN:
        raise Conflict("The payment's answer was lost; it is checked before any new try.")
    return answer
