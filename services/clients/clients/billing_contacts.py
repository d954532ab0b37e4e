"""A client's billing contact: the one of its contacts whom invoices, receipts and card-update
links reach.

The agency chooses it (`set_billing_contact`); while none is chosen, or the chosen one is
archived or moved to another client, it is the client's first live contact (the oldest). A
client with no live contact has none. Billing keeps it from the clients events: `client_updated`
carries `billing_contact` ({"id","name","email","chosen"} or null) and `billing_email`, and one
is recorded (`changed: ["billing_contact"]`) whenever a contact change moves either.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.orm import Session, aliased

from clients.models import Client, Contact
from kit.context import Context
from kit.outbox import record_event


def billing_contacts(session: Session, clients: list[Client]) -> dict[uuid.UUID, dict | None]:
    """Each client's billing contact as `{"id","name","email","chosen"}` (or None), in two
    queries for the lot (a page of clients): the chosen contacts, and each client's oldest live
    one (the first entry of an index per client, LATERAL ... LIMIT 1: a client's hundreds of
    contacts are neither read nor sorted)."""
    if not clients:
        return {}
    live = Contact.archived_at.is_(None)
    chosen_ids = [c.billing_contact_id for c in clients if c.billing_contact_id]
    by_id = (
        {c.id: c for c in session.scalars(select(Contact).where(Contact.id.in_(chosen_ids), live))}
        if chosen_ids
        else {}
    )
    wanted = (
        func.unnest(literal([c.id for c in clients], ARRAY(UUID(as_uuid=True))))
        .table_valued("id")
        .render_derived("wanted")
    )
    oldest = (
        select(Contact)
        .where(Contact.client_id == wanted.c.id, live)
        .order_by(Contact.created_at, Contact.id)
        .limit(1)
        .lateral("oldest")
    )
    first_contact = aliased(Contact, oldest)
    first = {
        c.client_id: c
        for c in session.scalars(select(first_contact).select_from(wanted).join(oldest, true()))
    }
    answer: dict[uuid.UUID, dict | None] = {}
    for client in clients:
        chosen = by_id.get(client.billing_contact_id) if client.billing_contact_id else None
        if chosen is not None and chosen.client_id != client.id:
            chosen = None
        contact = chosen or first.get(client.id)
        answer[client.id] = (
            None
            if contact is None
            else {
                "id": str(contact.id),
                "name": contact.name,
                "email": contact.email,
                "chosen": chosen is not None,
            }
        )
    return answer


def billing_facts(session: Session, client: Client) -> dict:
    """`{"billing_contact", "billing_email"}` as the client's events carry them."""
    contact = billing_contacts(session, [client])[client.id]
    return {"billing_contact": contact, "billing_email": contact["email"] if contact else None}


def facts_of(session: Session, client_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The billing facts of these clients now (before a contact change, to compare after)."""
    session.flush()
    answer = {}
    for client_id in set(client_ids):
        client = session.get(Client, client_id)
        if client is not None:
            answer[client_id] = billing_facts(session, client)
    return answer


def announce_changes(session: Session, ctx: Context, before: dict[uuid.UUID, dict]) -> None:
    """Record `client_updated` (changed: billing_contact) for each client whose billing contact
    or its e-mail differs from `before` (what `facts_of` said before the change)."""
    session.flush()
    for client_id, facts in before.items():
        client = session.get(Client, client_id)
        now = billing_facts(session, client)
        if now != facts:
            record_updated(session, ctx, client, ["billing_contact"], now)


def record_updated(
    session: Session, ctx: Context, client: Client, changed: list[str], facts: dict | None = None
) -> None:
    """The `client_updated` event, with the client's billing contact as it is now."""
    record_event(
        session,
        ctx,
        "client_updated",
        {
            "client_id": str(client.id),
            "name": client.name,
            "changed": changed,
            "account_manager_ids": list(client.account_manager_ids or []),
            "tags": list(client.tags or []),
            **(facts if facts is not None else billing_facts(session, client)),
        },
    )
