"""Switching who funds a client's usage (the seed's two flows).

To the customer: the agency sends a request (customer e-mail, starting balance >= $25, message);
`funding_request_sent` carries a link token (random, only its SHA-256 kept, expiring after
FUNDING_LINK_HOURS, replaced by a resend, dead once used or cancelled) that notifications mails.
On the page the link opens (outside the team UI; the token is the authority) the customer enters
a card with Stripe.js (`start_customer_card`: a SetupIntent) and pays at least the starting
balance (`pay_customer_funding`: the card charged off-session as a card top-up, the attempt
recorded first); once paid, one transaction spends the link, keeps the card, credits the
payment to the client's balance and switches the client. Until then the client stays agency-funded.

To the agency: the saved card is forgotten (and detached at Stripe after the commit), the whole
client balance moves to the agency balance as one transfer, and usage draws from the agency.
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

import stripe
from cryptography.fernet import MultiFernet
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.common import money
from billing.facts.agencies import agency_today
from billing.facts.clients import find_client
from billing.ledger import accounts
from billing.ledger.amounts import MIN_TOPUP, topup_amount
from billing.ledger.tables import AGENCY, CARD_TOPUPS, FundingRequest, TopupAttempt
from billing.ledger.topups import (
    CardTry,
    after_topup,
    charge_card,
    refused_key_try,
    take_attempt,
    topup_charge,
)
from billing.ledger.transfers import post_transfer
from billing.models import ClientFact, StripeAccount, StripeCustomer
from billing.payments.accounts import refusal_recorded, secret_key
from billing.payments.stripe_api import KEY_REFUSED, PAID, UNKNOWN, card_summary, client_for
from billing.settings import Settings
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PaymentFailed, ServiceUnavailable, ValidationError
from kit.ids import hash_token, parse_id
from kit.outbox import record_event
from kit.validation import clean_email

log = logging.getLogger(__name__)
MAX_MESSAGE = 2000
CUSTOMER = "customer"


def _changed(
    session: Session, ctx: Context, client_id, funded_by: str, balances: list | None = None
) -> None:
    """`funding_changed`; `balances`: the balances a move between them left (reporting keeps
    them), `[{"account", "client_id", "balance_after"}]`."""
    record_event(
        session,
        ctx,
        "funding_changed",
        {"client_id": str(client_id), "funded_by": funded_by, "balances": balances or []},
    )


# To the customer: the request -----------------------------------------------------------------


def _send(session: Session, ctx: Context, request: FundingRequest, client: ClientFact, hours):
    """A fresh token and expiry for the request, and the event whose e-mail carries the link."""
    token = secrets.token_urlsafe(32)
    request.token_hash = hash_token(token)
    request.expires_at = utcnow() + timedelta(hours=hours)
    session.flush()
    record_event(
        session,
        ctx,
        "funding_request_sent",
        {
            "funding_request_id": str(request.id),
            "client_id": str(client.client_id),
            "client_name": client.name,
            "email": request.email,
            "starting_balance": money(request.starting_balance, accounts.CURRENCY),
            "message": request.message,
            "token": token,
            "expires_at": request.expires_at.isoformat(),
        },
    )
    return accounts.request_dict(request)


def request_customer_funding(
    session: Session,
    ctx: Context,
    settings: Settings,
    client_id,
    email,
    starting_balance,
    message="",
) -> dict:
    """ "Remove from agency billing": e-mail the customer a link to fund its own usage."""
    accounts.may_change(ctx)
    client = find_client(session, ctx, client_id)
    email = clean_email(email)
    starting = topup_amount(starting_balance, "starting_balance", MIN_TOPUP)
    message = str(message or "").strip()
    if len(message) > MAX_MESSAGE:
        raise ValidationError("message is too long.", {"message": f"at most {MAX_MESSAGE}"})
    if session.get(StripeAccount, ctx.agency) is None:
        raise Conflict(
            "Customer billing needs the agency's Stripe keys first.", {"stripe": "not connected"}
        )
    funding = accounts.funding_of(session, ctx.agency, client.client_id, lock=True)
    if funding.funded_by == CUSTOMER:
        raise Conflict(f"{client.name} already funds its own usage.", {"funded_by": CUSTOMER})
    pending = _pending(session, client.client_id)
    if pending is not None:
        raise Conflict(
            "A request is already pending for this client: resend or cancel it.",
            {"request": "pending"},
        )
    request = FundingRequest(
        agency_id=ctx.agency,
        client_id=client.client_id,
        email=email,
        starting_balance=starting,
        message=message,
        status="pending",
        token_hash="",
        expires_at=utcnow(),
        sent_count=1,
        created_by=str(ctx.principal_id) if ctx.principal_id else None,
    )
    session.add(request)
    return _send(session, ctx, request, client, settings.funding_link_hours)


def _pending(session: Session, client_id, lock: bool = False) -> FundingRequest | None:
    query = select(FundingRequest).where(
        FundingRequest.client_id == client_id, FundingRequest.status == "pending"
    )
    return session.scalar(query.with_for_update() if lock else query)


def _own_request(session: Session, ctx: Context, client_id, request_id) -> FundingRequest:
    client = find_client(session, ctx, client_id)
    row = session.get(FundingRequest, parse_id(request_id, "request"), with_for_update=True)
    if row is None or row.agency_id != ctx.agency or row.client_id != client.client_id:
        raise NotFound("No such funding request.")
    if row.status != "pending":
        raise Conflict(f"The request is {row.status}.", {"request": row.status})
    return row


def resend_funding_request(
    session: Session, ctx: Context, settings: Settings, client_id, request_id
) -> dict:
    """A new link (the old one stops working) with a new expiry, e-mailed again."""
    accounts.may_change(ctx)
    row = _own_request(session, ctx, client_id, request_id)
    row.sent_count += 1
    client = session.get(ClientFact, row.client_id)
    return _send(session, ctx, row, client, settings.funding_link_hours)


def cancel_funding_request(session: Session, ctx: Context, client_id, request_id) -> dict:
    accounts.may_change(ctx)
    row = _own_request(session, ctx, client_id, request_id)
    row.status, row.finished_at = "cancelled", utcnow()
    return accounts.request_dict(row)


# To the customer: the page the link opens -------------------------------------------------------


def _by_token(session: Session, token, lock: bool = False) -> FundingRequest:
    if not isinstance(token, str) or not token or len(token) > 200:
        raise NotFound("This payment link is not valid.")
    query = select(FundingRequest).where(FundingRequest.token_hash == hash_token(token))
    row = session.scalar(query.with_for_update() if lock else query)
    if row is None or row.status != "pending":
        raise NotFound("This payment link is not valid any more.")
    if row.expires_at <= utcnow():
        raise ValidationError(
            "This payment link has expired; ask the agency to send a new one.",
            {"token": "expired"},
        )
    return row


def get_customer_request(session: Session, token) -> dict:
    """What the customer's payment page shows (no login: the token is the key)."""
    row = _by_token(session, token)
    client = session.get(ClientFact, row.client_id)
    account = session.get(StripeAccount, row.agency_id)
    return {
        "client_name": client.name,
        "email": row.email,
        "message": row.message,
        "starting_balance": money(row.starting_balance, accounts.CURRENCY),
        "publishable_key": account.publishable_key if account else None,
        "expires_at": row.expires_at.isoformat(),
    }


def start_customer_card(session: Session, cipher: MultiFernet, settings: Settings, token) -> dict:
    """A SetupIntent on the client's Stripe customer (made on first use) for the card the
    customer enters with Stripe.js: what the page needs."""
    with session.begin():
        row = _by_token(session, token)
        secret = secret_key(session, row.agency_id, cipher)
        publishable = session.get(StripeAccount, row.agency_id).publishable_key
        known = session.get(StripeCustomer, row.client_id)
        customer_id = known.customer_id if known else None
        client = session.get(ClientFact, row.client_id)
        agency_id, request_id, email = row.agency_id, row.id, row.email
    api = client_for(secret, settings)
    if customer_id is None:
        with refusal_recorded(session, cipher, agency_id, secret):
            customer_id = api.v1.customers.create(
                params={
                    "name": client.name,
                    "email": email,
                    "metadata": {"client_id": str(client.client_id)},
                },
                options={"idempotency_key": f"customer:{client.client_id}"},
            ).id
        with session.begin():
            session.execute(
                insert(StripeCustomer)
                .values(agency_id=agency_id, client_id=client.client_id, customer_id=customer_id)
                .on_conflict_do_nothing()
            )
            customer_id = session.get(StripeCustomer, client.client_id).customer_id
    with refusal_recorded(session, cipher, agency_id, secret):
        intent = api.v1.setup_intents.create(
            params={
                "customer": customer_id,
                "payment_method_types": ["card"],
                "usage": "off_session",
                "metadata": {"funding_request_id": str(request_id)},
            }
        )
    return {
        "setup_intent_id": intent.id,
        "client_secret": intent.client_secret,
        "publishable_key": publishable,
    }


def pay_customer_funding(
    session: Session, cipher: MultiFernet, settings: Settings, token, setup_intent_id, amount
) -> dict:
    """The customer entered a card (a SetupIntent Stripe.js confirmed) and pays `amount` (at
    least the starting balance): the card is charged off-session, the attempt recorded first
    (as a card top-up); once paid, one transaction spends the link, keeps the card, credits the
    payment to the client's balance and switches the client. A decline leaves the link usable."""
    with session.begin():
        row = _by_token(session, token)
        paying = topup_amount(amount, "amount", max(row.starting_balance, MIN_TOPUP))
        secret = secret_key(session, row.agency_id, cipher)
        customer = session.get(StripeCustomer, row.client_id)
        customer_id = customer.customer_id if customer else None
        request_id, agency_id = row.id, row.agency_id
    api = client_for(secret, settings)
    try:
        with refusal_recorded(session, cipher, agency_id, secret):
            setup = api.v1.setup_intents.retrieve(str(setup_intent_id or "")[:200])
    except stripe.StripeError:
        setup = None
    metadata = setup.metadata.to_dict() if setup is not None and setup.metadata else {}
    if (
        setup is None
        or setup.status != "succeeded"
        or setup.customer != customer_id
        or metadata.get("funding_request_id") != str(request_id)
    ):
        raise ValidationError(
            "The card was not saved: enter it again.", {"card": "not a completed card setup"}
        )
    try:  # how the kept card is shown (the portal, the team's client page)
        summary = card_summary(api.v1.payment_methods.retrieve(setup.payment_method))
    except stripe.StripeError:
        summary = ""
    with session.begin():
        row = _by_token(session, token, lock=True)
        ctx = Context.system(str(row.agency_id))
        account = accounts.client_account(session, row.agency_id, row.client_id)
        key = f"funding:{row.id}:{setup.id}:{paying}"
        attempt = session.scalar(
            select(TopupAttempt).where(TopupAttempt.idempotency_key == key).with_for_update()
        )
        if attempt is None:
            attempt = TopupAttempt(
                agency_id=row.agency_id, account_id=account.id, amount=paying, idempotency_key=key
            )
            session.add(attempt)
            session.flush()
            reconcile = False
        else:
            reconcile = take_attempt(session, attempt, settings)
        charge = topup_charge(key, customer_id, setup.payment_method, paying, reconcile)
        card_try = CardTry(attempt.id, secret, charge, account.id)
    outcome, intent_id, reason = charge_card(card_try, settings)
    if outcome == UNKNOWN:
        raise ServiceUnavailable(
            "The payment service did not answer; please try again in a moment.",
            {"service": "stripe"},
        )
    if outcome == KEY_REFUSED:
        raise refused_key_try(session, cipher, agency_id, card_try, reason)
    with session.begin():
        row = session.get(FundingRequest, request_id, with_for_update=True)
        ctx = Context.system(str(row.agency_id))
        attempt = session.get(TopupAttempt, card_try.attempt_id, with_for_update=True)
        attempt.payment_intent_id = intent_id
        if outcome != PAID:
            attempt.status, attempt.failure_reason = "failed", reason
        else:
            attempt.status = "succeeded"
            _switch_to_customer(
                session, ctx, row, attempt, (setup.payment_method, summary), intent_id
            )
    if outcome != PAID:
        raise PaymentFailed(f"The card was declined: {reason}", {"card": reason})
    with session.begin():
        client = session.get(ClientFact, row.client_id)
        account = accounts.client_account(session, row.agency_id, row.client_id)
        return {
            "client_name": client.name,
            "funded_by": CUSTOMER,
            "balance": money(account.balance, accounts.CURRENCY),
        }


def _switch_to_customer(session, ctx, row: FundingRequest, attempt, card, intent_id):
    """The payment is in: the link spent, the card kept, the balance credited, the switch."""
    funding = accounts.funding_of(session, row.agency_id, row.client_id, lock=True)
    account = accounts.client_account(session, row.agency_id, row.client_id)
    posted = post_transfer(
        session,
        ctx,
        accounts.system_account(session, row.agency_id, CARD_TOPUPS),
        account,
        attempt.amount,
        "topup",
        attempt.idempotency_key,
        agency_today(session, ctx),
        client_id=row.client_id,
        description="Starting balance paid by the customer",
        reference=intent_id or "",
    )
    attempt.transfer_id = posted.transfer.id
    customer = session.get(StripeCustomer, row.client_id, with_for_update=True)
    customer.payment_method_id, customer.card_summary = card
    row.status, row.finished_at = "completed", utcnow()
    funding.funded_by, funding.customer_email = CUSTOMER, row.email
    funding.usage_paused, funding.updated_at = False, utcnow()
    _changed(session, ctx, row.client_id, CUSTOMER)
    after_topup(session, ctx, account, posted, "card")


# To the agency ----------------------------------------------------------------------------------


def fund_by_agency(
    session: Session, ctx: Context, cipher: MultiFernet, settings: Settings, client_id
) -> dict:
    """ "Add to agency billing": the customer's card forgotten, its balance moved to the agency
    balance as one transfer, usage drawn from the agency from now on."""
    accounts.may_change(ctx)
    with session.begin():
        client = find_client(session, ctx, client_id)
        funding = accounts.funding_of(session, ctx.agency, client.client_id, lock=True)
        if funding.funded_by == AGENCY:
            pending = _pending(session, client.client_id, lock=True)
            if pending is not None:  # the switch it asked for is no longer wanted
                pending.status, pending.finished_at = "cancelled", utcnow()
            return accounts.funding_dict(session, client, funding)
        account = accounts.client_account(session, ctx.agency, client.client_id)
        balances = []
        if account.balance:
            moved = post_transfer(
                session,
                ctx,
                account,
                accounts.system_account(session, ctx.agency, AGENCY),
                account.balance,
                "funding_move",
                f"to-agency:{client.client_id}:{utcnow().isoformat()}",
                agency_today(session, ctx),
                client_id=client.client_id,
                description="Customer balance added to the agency balance",
            )
            currency = moved.transfer.currency
            balances = [
                {
                    "account": "client",
                    "client_id": str(client.client_id),
                    "balance_after": money(moved.from_balance, currency),
                },
                {
                    "account": AGENCY,
                    "client_id": None,
                    "balance_after": money(moved.to_balance, currency),
                },
            ]
        customer = session.get(StripeCustomer, client.client_id, with_for_update=True)
        detach = customer.payment_method_id if customer else None
        if customer is not None:
            customer.payment_method_id, customer.card_summary = None, ""
        funding.funded_by, funding.customer_email = AGENCY, None
        funding.usage_paused, funding.updated_at = False, utcnow()
        _changed(session, ctx, client.client_id, AGENCY, balances)
        answer = accounts.funding_dict(session, client, funding)
        secret = secret_key(session, ctx.agency, cipher) if detach else None
    if detach:
        try:
            client_for(secret, settings).v1.payment_methods.detach(detach)
        except stripe.StripeError as exc:  # the card is forgotten here either way
            log.warning("detaching card of client %s failed: %s", client.client_id, exc)
    return answer
