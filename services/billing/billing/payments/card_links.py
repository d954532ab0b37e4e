"""Card-update links: when a card invoice fails, its client's billing contact is e-mailed a link
to enter a new card, outside any login.

The token is 32 random bytes (URL-safe); only its SHA-256 is kept, so the database cannot give
a working link away. A link is valid `LINK_DAYS` (7) and works once: the page that opens it
changes nothing (mail scanners follow links); the card it saves uses it up (card_update.py).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from billing.models import CardLink, Invoice
from kit.db import utcnow
from kit.errors import NotFound, ValidationError

LINK_DAYS = 7


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_link(session: Session, invoice: Invoice) -> dict:
    """A link for the invoice's client (in the transaction recording the decline): what the
    `invoice_failed` event carries for the e-mail, the raw token only there."""
    token = secrets.token_urlsafe(32)
    link = CardLink(
        agency_id=invoice.agency_id,
        client_id=invoice.client_id,
        invoice_id=invoice.id,
        token_hash=_hash(token),
        expires_at=utcnow() + timedelta(days=LINK_DAYS),
    )
    session.add(link)
    return {"card_update_token": token, "card_update_expires_at": link.expires_at.isoformat()}


def valid_link(session: Session, token: Any, lock: bool = False) -> CardLink:
    """The link of `token`; unknown (or forged) NotFound, used or expired a ValidationError on
    `token` saying which."""
    if not isinstance(token, str) or not 20 <= len(token) <= 100:
        raise NotFound("This link is not valid.")
    query = select(CardLink).where(CardLink.token_hash == _hash(token))
    link = session.scalar(query.with_for_update() if lock else query)
    if link is None:
        raise NotFound("This link is not valid.")
    if link.used_at is not None:
        raise ValidationError("This link was already used.", {"token": "used"})
    if link.expires_at <= utcnow():
        raise ValidationError("This link has expired.", {"token": "expired"})
    return link
