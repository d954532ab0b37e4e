"""The card-update page behind an e-mailed link (card_links.py): `open_card_link` shows the
client's failed invoices and a SetupIntent for Stripe.js and changes nothing; `finish_card_link`
saves the card Stripe.js confirmed, uses the link up and charges every failed invoice of the
client again at once. Stripe is called between transactions, never inside one."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.invoicing.invoices import invoice_dict
from billing.models import AgencyFact, CardLink, ClientFact, Invoice, StripeAccount
from billing.payments import card_links, cards, charging
from billing.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict


def _failed_invoices(session: Session, link: CardLink) -> list[Invoice]:
    return list(
        session.scalars(
            select(Invoice)
            .where(
                Invoice.agency_id == link.agency_id,
                Invoice.client_id == link.client_id,
                Invoice.status == "failed",
            )
            .order_by(Invoice.number)
        )
    )


def open_card_link(session: Session, cipher: MultiFernet, settings: Settings, token: Any) -> dict:
    """What the card-update page shows, and a SetupIntent for Stripe.js to confirm."""
    with session.begin():
        link = card_links.valid_link(session, token)
        client = session.get(ClientFact, link.client_id)
        agency = session.get(AgencyFact, link.agency_id)
        if session.get(StripeAccount, link.agency_id) is None:
            raise Conflict("Card payments are off for this agency.")
        invoices = [invoice_dict(i) for i in _failed_invoices(session, link)]
        agency_id, client_id = str(link.agency_id), str(link.client_id)
        answer = {
            "client_name": client.name,
            "agency_name": agency.name if agency else "",
            "expires_at": link.expires_at.isoformat(),
            "failed_invoices": invoices,
        }
    setup = cards.start_card_setup(session, Context.system(agency_id), cipher, settings, client_id)
    return answer | {"setup": setup}


def finish_card_link(
    session: Session, cipher: MultiFernet, settings: Settings, token: Any, setup_intent_id: Any
) -> dict:
    """Save the card the page confirmed, use the link up, charge the failed invoices again."""
    with session.begin():
        link = card_links.valid_link(session, token)
        agency_id, client_id = str(link.agency_id), str(link.client_id)
    ctx = Context.system(agency_id)
    saved = cards.save_card(session, ctx, cipher, settings, client_id, setup_intent_id)
    with session.begin():
        # Two submissions at once: the second finds it used and charges nothing more.
        link = card_links.valid_link(session, token, lock=True)
        link.used_at = utcnow()
        due = [invoice.id for invoice in _failed_invoices(session, link)]
    outcomes: dict[str, int] = {}
    for invoice_id in due:
        outcome = charging.charge_invoice(session, cipher, settings, agency_id, invoice_id)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    with session.begin():
        invoices = [invoice_dict(session.get(Invoice, invoice_id)) for invoice_id in due]
    return {"card": saved["card"], "charged": outcomes, "invoices": invoices}
