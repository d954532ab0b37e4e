"""Saving a client's card through Stripe: a customer in the agency's account, a SetupIntent the
browser confirms with Stripe.js (we never see the card number), then the card kept for
off-session charges. Stripe is called between transactions, never inside one."""

from __future__ import annotations

from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.facts.clients import find_client
from billing.models import StripeAccount, StripeCustomer
from billing.payments.accounts import refusal_recorded, secret_key
from billing.payments.stripe_api import card_summary, client_for, new_card_setup
from billing.settings import Settings
from kit import permissions
from kit.context import PORTAL, Context
from kit.errors import NotFound, PermissionDenied, ValidationError


def _may_manage_card(ctx: Context, client_id: Any) -> None:
    if ctx.kind == PORTAL:
        if str(ctx.client_id) != str(client_id):
            raise PermissionDenied("a portal login manages its own client's card only")
    else:
        ctx.require(permissions.MANAGE_BILLING)


def card_on_file(session: Session, agency_id: Any, client_id: Any) -> dict:
    """`{"card_payments": bool, "card": "visa ending 4242" | None}` for one of the agency's
    clients: whether the agency takes cards (its Stripe keys are set) and the card saved."""
    customer = session.get(StripeCustomer, client_id)
    saved = customer is not None and customer.agency_id == agency_id and customer.payment_method_id
    return {
        "card_payments": session.get(StripeAccount, agency_id) is not None,
        "card": customer.card_summary if saved else None,
    }


def get_card(session: Session, ctx: Context, client_id: Any) -> dict:
    """The client's saved card as the team sees it (`view_billing`)."""
    ctx.require(permissions.VIEW_BILLING)
    client = find_client(session, ctx, client_id)
    on_file = card_on_file(session, ctx.agency, client.client_id)
    return {"client_id": str(client.client_id), **on_file}


def start_card_setup(
    session: Session, ctx: Context, cipher: MultiFernet, settings: Settings, client_id: Any
) -> dict:
    """A SetupIntent for the client's customer (made on first use): what Stripe.js needs."""
    _may_manage_card(ctx, client_id)
    with session.begin():
        client = find_client(session, ctx, client_id)
        secret = secret_key(session, ctx.agency, cipher)
        publishable = session.get(StripeAccount, ctx.agency).publishable_key
        known = session.get(StripeCustomer, client.client_id)
        customer_id = known.customer_id if known else None
        name = client.name
    stripe = client_for(secret, settings)
    if customer_id is None:
        with refusal_recorded(session, cipher, ctx.agency, secret):
            customer_id = stripe.v1.customers.create(
                params={"name": name, "metadata": {"client_id": str(client.client_id)}},
                options={"idempotency_key": f"customer:{client.client_id}"},
            ).id
        with session.begin():
            session.execute(
                insert(StripeCustomer)
                .values(agency_id=ctx.agency, client_id=client.client_id, customer_id=customer_id)
                .on_conflict_do_nothing()
            )
            customer_id = session.get(StripeCustomer, client.client_id).customer_id
    with refusal_recorded(session, cipher, ctx.agency, secret):
        return new_card_setup(stripe, customer_id, publishable)


def save_card(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    settings: Settings,
    client_id: Any,
    setup_intent_id: Any,
) -> dict:
    """Keep the card of a SetupIntent the browser confirmed, for off-session charges."""
    _may_manage_card(ctx, client_id)
    with session.begin():
        client = find_client(session, ctx, client_id)
        secret = secret_key(session, ctx.agency, cipher)
        known = session.get(StripeCustomer, client.client_id)
        if known is None:
            raise NotFound("Start a card setup first.")
        customer_id = known.customer_id
    stripe = client_for(secret, settings)
    with refusal_recorded(session, cipher, ctx.agency, secret):
        intent = stripe.v1.setup_intents.retrieve(str(setup_intent_id))
    if intent.status != "succeeded" or intent.customer != customer_id:
        raise ValidationError(
            "The card was not saved: the setup is not complete.",
            {"setup_intent_id": "not a completed setup of this client"},
        )
    with refusal_recorded(session, cipher, ctx.agency, secret):
        method = stripe.v1.payment_methods.retrieve(intent.payment_method)
    summary = card_summary(method)
    with session.begin():
        row = session.get(StripeCustomer, client.client_id, with_for_update=True)
        row.payment_method_id, row.card_summary = method.id, summary
    return {"client_id": str(client.client_id), "card": summary}
