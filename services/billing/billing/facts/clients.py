"""Clients as billing knows them: kept from the clients service's events (`remember_client`)
and refreshed over RPC by `python -m billing.refresh_clients`, so that assigning, charging and
running billing never ask the clients service anything. The one exception is a client billing
has not heard of yet (its `client_created` event is still on its way when an integration
assigns a service in the same breath): `learn_client` asks the clients service once."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.models import ClientFact
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, ValidationError
from kit.ids import parse_field_id, parse_id


def remember_client(
    session: Session,
    agency_id: uuid.UUID,
    client_id: uuid.UUID,
    *,
    name: str | None = None,
    status: str | None = None,
    archived: bool | None = None,
    billing: dict | None = None,
    as_of: datetime | None = None,
) -> None:
    """Insert or update what billing knows of a client; None leaves a known value as it is.
    `billing` (`{"billing_contact", "billing_email"}` as the clients service says them) replaces
    the billing contact, a null one included. `as_of`: when the clients service said it (an
    event's `occurred_at`; now when left out): each fact said at a later moment stays, so
    events handled out of order (by concurrent workers, or after a retry) never bring back an
    older name, status or billing contact."""
    as_of = as_of or utcnow()
    values = {"name": name, "status": status, "archived": archived}
    known = {key: value for key, value in values.items() if value is not None}
    if billing is not None:
        known |= {
            "billing_contact_name": (billing.get("billing_contact") or {}).get("name"),
            "billing_email": billing.get("billing_email") or None,
        }
    groups = {group: as_of for group, fields in FACT_GROUPS.items() if fields & known.keys()}
    statement = insert(ClientFact).values(
        client_id=client_id,
        agency_id=agency_id,
        name=name or "",
        status=status or "active",
        archived=bool(archived),
        updated_at=utcnow(),
        **{key: value for key, value in known.items() if key.startswith("billing_")},
        **{f"{group}_as_of": moment for group, moment in groups.items()},
    )
    newer = {
        group: or_(
            getattr(ClientFact, f"{group}_as_of").is_(None),
            getattr(ClientFact, f"{group}_as_of") <= as_of,
        )
        for group in groups
    }
    changes = {
        key: case((newer[group], statement.excluded[key]), else_=getattr(ClientFact, key))
        for group, fields in FACT_GROUPS.items()
        if group in groups
        for key in fields
        if key in known
    }
    changes |= {
        f"{group}_as_of": func.greatest(getattr(ClientFact, f"{group}_as_of"), as_of)
        for group in groups
    }
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[ClientFact.client_id],
            set_={**changes, "updated_at": utcnow()},
            # A client id is a UUID of one agency: never let another agency's event move it.
            where=ClientFact.agency_id == agency_id,
        )
    )


# The facts said together, each group with its own "as of" column.
FACT_GROUPS = {
    "name": {"name"},
    "status": {"status"},
    "archived": {"archived"},
    "billing": {"billing_contact_name", "billing_email"},
}


NO_SUCH_CLIENT = "No such client."


def find_client(session: Session, ctx: Context, client_id: object) -> ClientFact:
    """The agency's client named in a path or filter; another agency's or unknown: NotFound."""
    fact = session.get(ClientFact, parse_id(client_id, "client"))
    if fact is None or fact.agency_id != ctx.agency:
        raise NotFound(NO_SUCH_CLIENT)
    return fact


def billable_client(session: Session, ctx: Context, client_id: object) -> ClientFact:
    """The agency's live client named in a body field; unknown or archived: a field error."""
    fact = session.get(ClientFact, parse_field_id(client_id, "client_id"))
    if fact is None or fact.agency_id != ctx.agency:
        raise ValidationError(NO_SUCH_CLIENT, {"client_id": NO_SUCH_CLIENT})
    if fact.archived:
        raise ValidationError(
            f"{fact.name} is archived: restore it first.", {"client_id": "The client is archived."}
        )
    return fact


def billing_recipients(session: Session, client_ids: set[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """`{"billing_contact", "billing_email"}` of each client as billing knows it (one query),
    for the invoice events notifications turns into e-mails."""
    rows = session.execute(
        select(
            ClientFact.client_id, ClientFact.billing_contact_name, ClientFact.billing_email
        ).where(ClientFact.client_id.in_(client_ids))
    ).all()
    return {
        client_id: {"billing_contact": name, "billing_email": email}
        for client_id, name, email in rows
    }


def client_names(session: Session, client_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(
        select(ClientFact.client_id, ClientFact.name).where(ClientFact.client_id.in_(client_ids))
    )
    return dict(rows.tuples().all())


def _billing(payload: dict) -> dict | None:
    """The billing contact an event carries, or None when it says nothing of it."""
    if "billing_email" not in payload:
        return None
    return {
        "billing_contact": payload.get("billing_contact"),
        "billing_email": payload["billing_email"],
    }


# What each clients event says about the client (docs/contracts.md, "clients").
CLIENT_EVENTS = {
    "client_created": lambda p: {"name": p.get("name"), "status": p.get("status")},
    "client_updated": lambda p: {"name": p.get("name"), "billing": _billing(p)},
    "client_status_changed": lambda p: {"name": p.get("name"), "status": p.get("status")},
    "client_archived": lambda p: {"name": p.get("name"), "archived": True},
    "client_restored": lambda p: {"name": p.get("name"), "archived": False},
}


def learn_from_event(session: Session, payload: dict) -> None:
    """Keep what a clients event says of its client (events may arrive in any order: each
    only sets what it knows, and only over what was said before it)."""
    facts = CLIENT_EVENTS[payload["event_type"]](payload)
    said = payload.get("occurred_at")
    remember_client(
        session,
        uuid.UUID(payload["agency_id"]),
        uuid.UUID(payload["client_id"]),
        **facts,
        as_of=datetime.fromisoformat(said) if said else None,
    )


def _listed_facts(client: dict) -> dict:
    """`remember_client`'s keywords for a client as the clients service describes it."""
    contact = client.get("billing_contact")
    return {
        "name": client["name"],
        "status": client["status"],
        "archived": client["archived"],
        "billing": _billing(
            {"billing_contact": contact, "billing_email": (contact or {}).get("email")}
        ),
    }


def learn_client(db: Session, ctx: Context, client_id: object, get_client) -> bool:
    """After a refusal for a client billing did not know: whether it is worth trying once more.
    The client's `client_created` event may have come in the meantime (True), or billing asks
    the clients service (`get_client(ctx, client_id)`, its RPC, outside any transaction) and
    remembers what it says (True). An id that is not one, another agency's client, or one the
    clients service does not know of this agency: False (the refusal stands). The clients
    service away: `ServiceUnavailable`."""
    try:
        client_uuid = uuid.UUID(str(client_id))
    except ValueError:
        return False
    with db.begin():
        known = db.get(ClientFact, client_uuid)
        if known is not None:
            return known.agency_id == ctx.agency
    try:
        client = get_client(Context.system(str(ctx.agency)).to_dict(), str(client_uuid))
    except NotFound:
        return False
    with db.begin():
        remember_client(db, ctx.agency, client_uuid, **_listed_facts(client))
    return True


def refresh_agency_clients(session: Session, agency_id: uuid.UUID, list_clients) -> int:
    """Re-read every client of the agency from the clients service (`list_clients(ctx,
    status, page, per_page)`, its RPC); returns how many. Commits per page."""
    ctx = Context.system(str(agency_id)).to_dict()
    seen = 0
    # The clients service lists archived clients only when asked for them.
    for listed in (None, "archived"):
        page = 1
        while True:
            answer = list_clients(ctx, status=listed, page=page, per_page=100)
            with session.begin():
                for client in answer["items"]:
                    remember_client(
                        session, agency_id, uuid.UUID(client["id"]), **_listed_facts(client)
                    )
            seen += len(answer["items"])
            if page * answer["per_page"] >= answer["total"]:
                break
            page += 1
    return seen
