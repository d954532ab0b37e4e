"""The agency's own Stripe account: keys checked with a call to Stripe before they are kept,
the secret ones encrypted at rest and never returned (only the last four characters).

A key Stripe later refuses (revoked, rolled, wrong: AuthenticationError or PermissionError) is
marked on the account (`key_refused_at`, with one `stripe_key_refused` event per refusal) by the
call that met it; from then on every flow that needs the agency's Stripe account answers
`StripeKeyRefused` without asking Stripe (`secret_key`), and card invoices wait `open`, until the
agency enters a key Stripe accepts, which clears the mark."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import stripe
from cryptography.fernet import MultiFernet
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from billing.models import PAYMENT_METHODS, StripeAccount
from billing.payments.stripe_api import KEY_ERRORS, client_for
from billing.settings import Settings
from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.encryption import decrypt, encrypt
from kit.errors import Conflict, ServiceUnavailable, StripeKeyRefused, ValidationError
from kit.inputs import clean_text, one_of
from kit.outbox import record_event

DEFAULT_RETRY_DAYS = [3, 7]


def account_dict(account: StripeAccount | None) -> dict:
    if account is None:
        return {"connected": False}
    return {
        "connected": True,
        "publishable_key": account.publishable_key,
        "secret_key_last4": account.secret_key_last4,
        "has_webhook_secret": bool(account.webhook_secret_token),
        "retry_days": list(account.retry_days),
        "checked_at": account.checked_at.isoformat(),
        "key_refused_at": account.key_refused_at.isoformat() if account.key_refused_at else None,
    }


def clean_keys(publishable_key: Any, secret_key: Any) -> tuple[str, str]:
    publishable = clean_text(publishable_key, "publishable_key", 200, required=True)
    secret = clean_text(secret_key, "secret_key", 200, required=True)
    if not publishable.startswith("pk_"):
        raise ValidationError("Not a publishable key.", {"publishable_key": "starts with pk_"})
    if not secret.startswith(("sk_", "rk_")):
        raise ValidationError("Not a secret key.", {"secret_key": "starts with sk_"})
    return publishable, secret


def clean_retry_days(value: Any) -> list[int]:
    if value is None:
        return DEFAULT_RETRY_DAYS
    ok = isinstance(value, list) and all(
        isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 60 for d in value
    )
    if not ok or len(value) > 5 or value != sorted(set(value)):
        raise ValidationError(
            "Retry days are up to five rising whole numbers of days (1 to 60).",
            {"retry_days": "like [3, 7]"},
        )
    return value


def check_keys(secret_key: str, settings: Settings) -> None:
    """Ask Stripe whether the secret key works (outside any transaction)."""
    try:
        client_for(secret_key, settings).v1.customers.list(params={"limit": 1})
    except stripe.AuthenticationError:
        raise ValidationError(
            "Stripe refused this secret key.", {"secret_key": "refused by Stripe"}
        ) from None
    except stripe.StripeError as exc:
        raise ServiceUnavailable(f"Stripe could not be reached: {type(exc).__name__}.") from None


def save_keys(
    session: Session,
    ctx: Context,
    cipher: MultiFernet,
    publishable: str,
    secret: str,
    webhook_secret: Any = None,
    retry_days: Any = None,
) -> dict:
    """Keep checked keys (the caller checked them with `check_keys` first)."""
    ctx.require(permissions.MANAGE_SETTINGS)
    webhook = clean_text(webhook_secret, "webhook_secret", 200)
    account = session.get(StripeAccount, ctx.agency, with_for_update=True)
    if account is None:
        account = StripeAccount(agency_id=ctx.agency)
        session.add(account)
    account.publishable_key = publishable
    account.secret_key_token = encrypt(cipher, secret)
    account.secret_key_last4 = secret[-4:]
    if webhook:
        account.webhook_secret_token = encrypt(cipher, webhook)
    account.webhook_secret_token = account.webhook_secret_token or ""
    account.retry_days = clean_retry_days(retry_days)
    account.checked_at = utcnow()
    account.key_refused_at = None  # Stripe accepted this key (check_keys): the mark goes
    session.flush()
    return account_dict(account)


def get_stripe_account(session: Session, ctx: Context) -> dict:
    ctx.require_any(permissions.MANAGE_SETTINGS, permissions.VIEW_BILLING)
    return account_dict(session.get(StripeAccount, ctx.agency))


def secret_key(session: Session, agency_id, cipher: MultiFernet) -> str:
    """The agency's secret key in clear, for a call about to be made; Conflict without keys,
    StripeKeyRefused while Stripe refuses the key kept (nothing is asked of Stripe then)."""
    account = session.get(StripeAccount, agency_id)
    if account is None:
        raise Conflict("The agency has no Stripe keys: card payments are off.")
    if account.key_refused_at is not None:
        raise key_refused()
    return decrypt(cipher, account.secret_key_token)


def key_refused() -> StripeKeyRefused:
    return StripeKeyRefused(
        "Stripe refused the agency's secret key: card payments and refunds wait until a new key "
        "is entered in Settings > Payments.",
        {"secret_key": "refused by Stripe: enter a new one in Settings > Payments"},
    )


def mark_key_refused(session: Session, cipher: MultiFernet, agency_id, secret: str) -> None:
    """In the caller's transaction: Stripe refused `secret`, the key a call was made with. The
    account is marked and `stripe_key_refused` recorded once per refusal (of calls refused at
    once, one marks); nothing when the agency entered another key meanwhile."""
    token = session.scalar(
        select(StripeAccount.secret_key_token)
        .where(StripeAccount.agency_id == agency_id)
        .with_for_update()
    )
    if token is None or decrypt(cipher, token) != secret:
        return
    marked = session.execute(
        update(StripeAccount)
        .where(StripeAccount.agency_id == agency_id, StripeAccount.key_refused_at.is_(None))
        .values(key_refused_at=utcnow())
        .returning(StripeAccount.secret_key_last4, StripeAccount.key_refused_at)
    ).first()
    if marked is not None:
        record_event(
            session,
            Context.system(str(agency_id)),
            "stripe_key_refused",
            {"secret_key_last4": marked[0], "refused_at": marked[1].isoformat()},
        )


@contextlib.contextmanager
def refusal_recorded(
    session: Session, cipher: MultiFernet, agency_id, secret: str
) -> Iterator[None]:
    """Around calls to Stripe with the agency's `secret` (outside any transaction): a refused
    key is marked (`mark_key_refused`, its own transaction) and raised as StripeKeyRefused."""
    try:
        yield
    except KEY_ERRORS:
        with session.begin():
            mark_key_refused(session, cipher, agency_id, secret)
        raise key_refused() from None


def clean_payment_method(session: Session, ctx: Context, value: Any) -> str:
    """`card` or `check`; card only once the agency has Stripe keys (checks always work)."""
    method = one_of(value, PAYMENT_METHODS, "payment_method")
    if method == "card" and session.get(StripeAccount, ctx.agency) is None:
        raise ValidationError(
            "Card payments need the agency's Stripe keys first.",
            {"payment_method": "no Stripe keys: pay by check"},
        )
    return method
