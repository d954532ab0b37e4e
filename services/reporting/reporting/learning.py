"""What reporting learns from each event: plain functions over a session and the payload.

Each runs inside the handler's transaction (kit.events de-duplicates by event_id). Events may
come in any order: invoice state is merged and the revenue recomputed (reporting.revenue);
clients keep their history and replay it; assignments and balances keep the latest by time.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from kit.db import utcnow
from reporting.models import (
    AgencyFact,
    AssignmentFact,
    BalanceFact,
    ClientChange,
    ClientFact,
    InvoiceFact,
    RefundFact,
    ServiceName,
    UsageFact,
)
from reporting.revenue import apply_invoice

DEFAULT_TIMEZONE = "UTC"


def _uuid(value) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _when(payload: dict) -> datetime:
    value = payload.get("occurred_at")
    return datetime.fromisoformat(value) if value else utcnow()


def _amount(money) -> tuple[int, str]:
    if isinstance(money, dict):
        return int(money["amount"]), str(money.get("currency") or "USD")
    return int(money or 0), "USD"


def timezone_of(session: Session, agency_id: uuid.UUID) -> ZoneInfo:
    name = session.scalar(select(AgencyFact.timezone).where(AgencyFact.agency_id == agency_id))
    try:
        return ZoneInfo(name or DEFAULT_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_day(session: Session, agency_id: uuid.UUID, moment: datetime) -> date:
    """The agency's day at `moment` (a payment at 23:30 UTC on the 31st may be the 1st)."""
    return moment.astimezone(timezone_of(session, agency_id)).date()


# Agencies -------------------------------------------------------------------------------------


def remember_agency(session: Session, agency_id: uuid.UUID, timezone: str | None) -> None:
    if not timezone:
        return
    statement = insert(AgencyFact).values(
        agency_id=agency_id, timezone=timezone, updated_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["agency_id"], set_={"timezone": timezone, "updated_at": utcnow()}
        )
    )


def learn_agency(session: Session, payload: dict) -> None:
    """identity's `agency_signed_up` / `agency_updated`: the time zone."""
    if payload.get("agency_id"):
        remember_agency(session, uuid.UUID(payload["agency_id"]), payload.get("timezone"))


# Invoices -------------------------------------------------------------------------------------


def remember_service_names(session: Session, agency_id: uuid.UUID, names: dict) -> None:
    for service_id, name in sorted(names.items()):
        statement = insert(ServiceName).values(
            agency_id=agency_id, service_id=service_id, name=name
        )
        session.execute(
            statement.on_conflict_do_update(index_elements=["service_id"], set_={"name": name})
        )


def _invoice_summary(fact: InvoiceFact, payload: dict) -> None:
    fact.number = payload.get("number") or fact.number
    fact.client_name = payload.get("client_name") or fact.client_name
    if payload.get("total") is not None:
        fact.total, fact.currency = _amount(payload["total"])


def invoice_issued(session: Session, payload: dict) -> None:
    agency = uuid.UUID(payload["agency_id"])
    lines = [
        {
            "service_id": str(line["service_id"]),
            "service_name": line.get("service_name") or "",
            "amount": _amount(line["amount"])[0],
        }
        for line in payload.get("lines") or []
    ]

    def change(fact: InvoiceFact) -> None:
        _invoice_summary(fact, payload)
        fact.issued = True
        fact.lines = lines
        fact.issued_on = _day(payload["issued_on"])
        fact.due_on = _day(payload.get("due_on")) or fact.issued_on

    apply_invoice(
        session, agency, uuid.UUID(payload["invoice_id"]), change, _uuid(payload["client_id"])
    )
    remember_service_names(
        session, agency, {uuid.UUID(x["service_id"]): x["service_name"] for x in lines}
    )


def invoice_paid(session: Session, payload: dict) -> None:
    agency = uuid.UUID(payload["agency_id"])
    on = local_day(session, agency, _when(payload))

    def change(fact: InvoiceFact) -> None:
        _invoice_summary(fact, payload)
        fact.paid_on = on

    apply_invoice(
        session, agency, uuid.UUID(payload["invoice_id"]), change, _uuid(payload["client_id"])
    )


def invoice_failed(session: Session, payload: dict) -> None:
    agency = uuid.UUID(payload["agency_id"])
    on = local_day(session, agency, _when(payload))

    def change(fact: InvoiceFact) -> None:
        _invoice_summary(fact, payload)
        # The first decline dates the failure; a retry's decline changes nothing.
        fact.failed_on = min(filter(None, (fact.failed_on, on)))

    apply_invoice(
        session, agency, uuid.UUID(payload["invoice_id"]), change, _uuid(payload["client_id"])
    )


def invoice_voided(session: Session, payload: dict) -> None:
    agency = uuid.UUID(payload["agency_id"])
    on = local_day(session, agency, _when(payload))

    def change(fact: InvoiceFact) -> None:
        _invoice_summary(fact, payload)
        fact.voided_on = on

    apply_invoice(
        session, agency, uuid.UUID(payload["invoice_id"]), change, _uuid(payload["client_id"])
    )


def payment_refunded(session: Session, payload: dict) -> None:
    """billing's `payment_refunded`: by invoice and amount (a refund is spread over its lines)."""
    agency = uuid.UUID(payload["agency_id"])
    invoice_id = uuid.UUID(payload["invoice_id"])
    amount, currency = _amount(payload["amount"])
    refund_id = str(payload.get("refund_id") or payload["event_id"])
    on = local_day(session, agency, _when(payload))

    def change(fact: InvoiceFact) -> None:
        added = session.execute(
            insert(RefundFact)
            .values(
                refund_id=refund_id,
                agency_id=agency,
                invoice_id=invoice_id,
                amount=amount,
                currency=currency,
                refunded_on=on,
            )
            .on_conflict_do_nothing()
            .returning(RefundFact.refund_id)
        ).first()
        if added:
            fact.refunded = (fact.refunded or 0) + amount

    apply_invoice(
        session, agency, invoice_id, change, _uuid(payload.get("client_id")) or uuid.UUID(int=0)
    )


# Assignments (MRR) ----------------------------------------------------------------------------


def assignment_changed(session: Session, payload: dict, deleted: bool = False) -> None:
    """billing's `service_assigned` / `assignment_ended` / `assignment_deleted`: the newest
    event wins; a deletion stays."""
    agency = uuid.UUID(payload["agency_id"])
    assignment_id = uuid.UUID(payload["assignment_id"])
    when = _when(payload)
    rate, currency = _amount(payload.get("rate"))
    values = {
        "client_id": uuid.UUID(payload["client_id"]),
        "service_id": uuid.UUID(payload["service_id"]),
        "billing_type": payload["billing_type"],
        "rate": rate,
        "currency": currency,
        "start_date": _day(payload["start_date"]),
        "end_date": _day(payload.get("end_date")),
        "version": when,
    }
    statement = insert(AssignmentFact).values(
        assignment_id=assignment_id, agency_id=agency, deleted=deleted, **values
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["assignment_id"],
            set_=values,
            where=(AssignmentFact.version < when) & (AssignmentFact.agency_id == agency),
        )
    )
    if deleted:
        session.execute(
            AssignmentFact.__table__.update()
            .where(AssignmentFact.assignment_id == assignment_id)
            .values(deleted=True)
        )
    if payload.get("service_name"):
        remember_service_names(session, agency, {values["service_id"]: payload["service_name"]})


# Clients --------------------------------------------------------------------------------------

CLIENT_KINDS = {
    "client_created": "created",
    "client_updated": "named",
    "client_status_changed": "status",
    "client_archived": "archived",
    "client_restored": "restored",
}


def client_changed(session: Session, payload: dict) -> None:
    """clients' client events: kept as history, the client's row replayed from it."""
    agency = uuid.UUID(payload["agency_id"])
    client_id = uuid.UUID(payload["client_id"])
    kind = CLIENT_KINDS[payload["event_type"]]
    session.execute(
        insert(ClientChange)
        .values(
            event_id=uuid.UUID(payload["event_id"]),
            agency_id=agency,
            client_id=client_id,
            occurred_at=_when(payload),
            kind=kind,
            name=payload.get("name"),
            status=payload.get("status"),
        )
        .on_conflict_do_nothing()
    )
    replay_client(session, agency, client_id)


def replay_client(session: Session, agency_id: uuid.UUID, client_id: uuid.UUID) -> None:
    """The client's row from its history, oldest first."""
    changes = session.scalars(
        select(ClientChange)
        .where(ClientChange.agency_id == agency_id, ClientChange.client_id == client_id)
        .order_by(ClientChange.occurred_at, ClientChange.event_id)
    ).all()
    state = client_state(changes, session, agency_id)
    statement = insert(ClientFact).values(agency_id=agency_id, client_id=client_id, **state)
    session.execute(statement.on_conflict_do_update(index_elements=["client_id"], set_=state))


def client_state(changes, session: Session, agency_id: uuid.UUID, zone: ZoneInfo | None = None):
    """The client's row after its `changes` (oldest first) on the agency's days."""
    state = {
        "name": "",
        "status": "active",
        "archived": False,
        "created_on": None,
        "archived_on": None,
    }
    zone = zone or timezone_of(session, agency_id)
    for change in changes:
        on = change.occurred_at.astimezone(zone).date()
        state["name"] = change.name or state["name"]
        if change.kind == "created":
            state["created_on"] = on
            state["status"] = change.status or state["status"]
        elif change.kind == "status" and change.status:
            state["status"] = change.status
        elif change.kind == "archived":
            state["archived"], state["archived_on"] = True, on
        elif change.kind == "restored":
            state["archived"], state["archived_on"] = False, None
    if state["created_on"] is None and changes:
        state["created_on"] = changes[0].occurred_at.astimezone(zone).date()
    return state


# Balances -------------------------------------------------------------------------------------


def usage_recorded(session: Session, payload: dict) -> None:
    """balances' `usage_recorded`; and the balance after it."""
    agency = uuid.UUID(payload["agency_id"])
    amount, currency = _amount(payload["amount"])
    session.execute(
        insert(UsageFact)
        .values(
            usage_id=str(payload["usage_id"]),
            agency_id=agency,
            client_id=_uuid(payload.get("client_id")),
            client_name=payload.get("client_name") or "",
            funded_by=payload.get("funded_by") or "agency",
            amount=amount,
            currency=currency,
            description=(payload.get("description") or "")[:500],
            recorded_on=_day(payload.get("recorded_on"))
            or local_day(session, agency, _when(payload)),
        )
        .on_conflict_do_nothing()
    )
    if payload.get("balance_after") is not None:
        account = "agency" if payload.get("funded_by") == "agency" else str(payload["client_id"])
        remember_balance(session, agency, account, payload.get("client_id"), payload)


def balance_topped_up(session: Session, payload: dict) -> None:
    agency = uuid.UUID(payload["agency_id"])
    if payload.get("balance_after") is None:
        return
    account = "agency" if payload.get("account") == "agency" else str(payload["client_id"])
    remember_balance(session, agency, account, payload.get("client_id"), payload)


def balance_refunded(session: Session, payload: dict) -> None:
    """billing's `balance_refunded`: a customer's unused balance paid back, the balance after."""
    if payload.get("balance_after") is None or not payload.get("client_id"):
        return
    agency = uuid.UUID(payload["agency_id"])
    remember_balance(session, agency, str(payload["client_id"]), payload["client_id"], payload)


def funding_changed(session: Session, payload: dict) -> None:
    """billing's `funding_changed`: a move back to agency funding leaves both balances."""
    agency = uuid.UUID(payload["agency_id"])
    for moved in payload.get("balances") or []:
        account = "agency" if moved.get("account") == "agency" else str(moved["client_id"])
        remember_balance(
            session,
            agency,
            account,
            moved.get("client_id"),
            {"balance_after": moved["balance_after"], "occurred_at": payload.get("occurred_at")},
        )


def remember_balance(
    session: Session, agency: uuid.UUID, account: str, client_id, payload: dict
) -> None:
    amount, currency = _amount(payload["balance_after"])
    when = _when(payload)
    values = {"amount": amount, "currency": currency, "as_of": when}
    statement = insert(BalanceFact).values(
        agency_id=agency,
        account=account,
        client_id=_uuid(client_id) if account != "agency" else None,
        **values,
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["agency_id", "account"],
            set_=values,
            where=BalanceFact.as_of < when,
        )
    )
