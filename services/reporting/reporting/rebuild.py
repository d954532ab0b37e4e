"""Rebuild reporting's figures for one agency (or every agency it knows) from the services that
own the facts, over RPC with a system context, a page at a time:

    python -m reporting.rebuild [--agency ID]

identity: the agency's time zone; billing: every invoice with its lines (`export_invoices`),
every refund (`export_refunds`), every assignment (`list_assignments`), every usage record
(`export_usage`) and the balances money moved through (`export_balances`); clients: every client,
archived ones too (`list_clients`), and their status history (`list_client_status_history`:
created, status changes, archived, restored, each with its event's id and time, so the rebuilt
history is the one the events told). The calls are made first, outside any transaction; then
one transaction empties the agency's rows and writes the new ones (COPY), so a reader sees the
old figures or the new, never half. Events that arrive while it runs are applied on top of
whichever it sees (their ids are the history's: nothing counts twice).
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kit.bulk import copy_rows
from kit.config import load_config
from kit.context import Context
from kit.db import DATABASE_URL_KEY, make_engine, utcnow
from reporting.learning import (
    client_state,
    local_day,
    remember_agency,
    remember_service_names,
    timezone_of,
)
from reporting.loading import load_invoices
from reporting.models import (
    AgencyFact,
    AssignmentFact,
    BalanceFact,
    ClientChange,
    ClientFact,
    InvoiceFact,
    RefundFact,
    RevenueClientDay,
    RevenueDay,
    RevenueServiceDay,
    RevenueServiceMonth,
    RevenueTotalDay,
    UsageFact,
)
from reporting.settings import Settings

Call = Callable[..., Any]  # call(service, method, ctx_dict, **kwargs)


def pages(call: Call, service: str, method: str, ctx: dict, per_page: int, **kwargs) -> list:
    items, page = [], 1
    while True:
        answer = call(service, method, ctx, page=page, per_page=per_page, **kwargs)
        items += answer["items"]
        if not answer["items"] or page * answer["per_page"] >= answer["total"]:
            return items
        page += 1


def fetch(agency_id: uuid.UUID, call: Call, per_page: int = 100) -> dict:
    """Everything the rebuild needs of the agency, asked of its owners."""
    ctx = Context.system(str(agency_id)).to_dict()
    clients = pages(call, "clients", "list_clients", ctx, per_page)
    clients += pages(call, "clients", "list_clients", ctx, per_page, status="archived")
    return {
        "agency": call("identity", "get_agency", ctx),
        "invoices": pages(call, "billing", "export_invoices", ctx, per_page),
        "refunds": pages(call, "billing", "export_refunds", ctx, per_page),
        "assignments": pages(call, "billing", "list_assignments", ctx, per_page),
        "usage": pages(call, "billing", "export_usage", ctx, per_page),
        "balances": pages(call, "billing", "export_balances", ctx, per_page),
        "clients": clients,
        "history": pages(call, "clients", "list_client_status_history", ctx, per_page),
    }


def _day(value) -> date | None:
    return date.fromisoformat(value[:10]) if value else None


def _moment(value) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def invoice_fact(session: Session, agency_id: uuid.UUID, invoice: dict, refunded: int) -> dict:
    """billing's invoice as the state its events would have left."""
    paid_at, voided_at = _moment(invoice.get("paid_at")), _moment(invoice.get("voided_at"))
    status = invoice["status"]
    issued_on = _day(invoice["issued_on"])
    return {
        "invoice_id": uuid.UUID(invoice["id"]),
        "agency_id": agency_id,
        "number": invoice["number"],
        "client_id": uuid.UUID(invoice["client"]["id"]),
        "client_name": invoice["client"]["name"],
        "currency": invoice["total"]["currency"],
        "total": invoice["total"]["amount"],
        "issued": True,
        "issued_on": issued_on,
        "due_on": _day(invoice["due_on"]),
        "lines": [
            {
                "service_id": line["service_id"],
                "service_name": line["service_name"],
                "amount": line["amount"]["amount"],
            }
            for line in invoice.get("lines") or []
        ],
        "paid_on": local_day(session, agency_id, paid_at) if status == "paid" and paid_at else None,
        "failed_on": issued_on if status == "failed" else None,
        "voided_on": (
            local_day(session, agency_id, voided_at) if status == "void" and voided_at else None
        ),
        "status": status,
        "refunded": refunded,
        "updated_at": utcnow(),
    }


AGENCY_TABLES = (
    InvoiceFact, RefundFact, RevenueDay, RevenueClientDay, RevenueServiceDay,
    RevenueServiceMonth, RevenueTotalDay, AssignmentFact, ClientChange, ClientFact, UsageFact,
    BalanceFact,
)  # fmt: skip


def rebuild_agency(session: Session, agency_id: uuid.UUID, call: Call, per_page: int = 100):
    """Replace the agency's read models by what identity, billing and clients hold now."""
    found = fetch(agency_id, call, per_page)  # no transaction open while other services answer
    with session.begin():
        remember_agency(session, agency_id, found["agency"].get("timezone"))
        for model in AGENCY_TABLES:
            session.execute(delete(model).where(model.agency_id == agency_id))
        refunds = refund_rows(session, agency_id, found["refunds"])
        copy_rows(session, RefundFact.__table__, refunds)
        by_invoice: dict[uuid.UUID, list] = {}
        for refund in refunds:
            by_invoice.setdefault(refund["invoice_id"], []).append(
                (refund["refunded_on"], refund["amount"])
            )
        facts = [
            invoice_fact(
                session,
                agency_id,
                invoice,
                sum(a for _, a in by_invoice.get(uuid.UUID(invoice["id"]), [])),
            )
            for invoice in found["invoices"]
        ]
        load_invoices(session, agency_id, facts, by_invoice)
        names = {
            uuid.UUID(line["service_id"]): line["service_name"]
            for fact in facts
            for line in fact["lines"]
        }
        names.update(
            {uuid.UUID(a["service"]["id"]): a["service"]["name"] for a in found["assignments"]}
        )
        remember_service_names(session, agency_id, names)
        copy_rows(session, AssignmentFact.__table__, [
            {
                "assignment_id": uuid.UUID(a["id"]),
                "agency_id": agency_id,
                "client_id": uuid.UUID(a["client"]["id"]),
                "service_id": uuid.UUID(a["service"]["id"]),
                "billing_type": a["billing_type"],
                "rate": a["rate"]["amount"],
                "currency": a["rate"]["currency"],
                "start_date": _day(a["start_date"]),
                "end_date": _day(a["end_date"]),
                "deleted": False,
                "version": utcnow(),
            }
            for a in found["assignments"]
        ])  # fmt: skip
        changes = client_changes(agency_id, found["clients"], found["history"])
        copy_rows(session, ClientChange.__table__, changes)
        copy_rows(session, ClientFact.__table__, client_facts(session, agency_id, changes))
        copy_rows(session, UsageFact.__table__, usage_rows(agency_id, found["usage"]))
        copy_rows(session, BalanceFact.__table__, balance_rows(agency_id, found["balances"]))
    return {
        "invoices": len(facts),
        "refunds": len(refunds),
        "assignments": len(found["assignments"]),
        "clients": len(found["clients"]),
        "client_changes": len(changes),
        "usage": len(found["usage"]),
        "balances": len(found["balances"]),
    }


def refund_rows(session: Session, agency_id: uuid.UUID, refunds: list[dict]) -> list[dict]:
    """billing's refunds as `payment_refunded` left them: on the agency's day it was done."""
    return [
        {
            "refund_id": r["id"],
            "agency_id": agency_id,
            "invoice_id": uuid.UUID(r["invoice_id"]),
            "amount": r["amount"]["amount"],
            "currency": r["amount"]["currency"],
            "refunded_on": local_day(session, agency_id, _moment(r["refunded_at"])),
        }
        for r in refunds
    ]


def client_changes(agency_id: uuid.UUID, clients: list[dict], history: list[dict]) -> list[dict]:
    """The clients' history rows (`client_changes`) from the clients service's status history,
    each client's name now on every row (the last name is the one kept). A client without any
    history (none, once clients' migration 0040 backfilled it) gets its creation and archiving."""
    names = {uuid.UUID(c["id"]): c["name"] for c in clients}
    rows = [
        {
            "event_id": uuid.UUID(h["id"]),
            "agency_id": agency_id,
            "client_id": uuid.UUID(h["client_id"]),
            "occurred_at": _moment(h["occurred_at"]),
            "kind": h["kind"],
            "name": names.get(uuid.UUID(h["client_id"])),
            "status": h["status"],
        }
        for h in history
        if uuid.UUID(h["client_id"]) in names
    ]
    known = {row["client_id"] for row in rows}
    for client in clients:
        client_id = uuid.UUID(client["id"])
        if client_id in known:
            continue
        made_up = [("created", _moment(client["created_at"]), client["status"])]
        if client.get("archived") and client.get("archived_at"):
            made_up.append(("archived", _moment(client["archived_at"]), None))
        rows += [
            {
                "event_id": uuid.uuid5(client_id, kind),
                "agency_id": agency_id,
                "client_id": client_id,
                "occurred_at": when,
                "kind": kind,
                "name": client["name"],
                "status": status,
            }
            for kind, when, status in made_up
        ]
    return rows


def client_facts(session: Session, agency_id: uuid.UUID, changes: list[dict]) -> list[dict]:
    """Each client's row replayed from its changes, as `replay_client` does."""
    by_client: dict[uuid.UUID, list] = {}
    for row in sorted(changes, key=lambda r: (r["occurred_at"], r["event_id"])):
        by_client.setdefault(row["client_id"], []).append(SimpleNamespace(**row))
    zone = timezone_of(session, agency_id)
    return [
        {
            "agency_id": agency_id,
            "client_id": client_id,
            **client_state(rows, session, agency_id, zone),
        }
        for client_id, rows in by_client.items()
    ]


def usage_rows(agency_id: uuid.UUID, usage: list[dict]) -> list[dict]:
    return [
        {
            "usage_id": u["usage_id"],
            "agency_id": agency_id,
            "client_id": uuid.UUID(u["client_id"]) if u.get("client_id") else None,
            "client_name": u.get("client_name") or "",
            "funded_by": u["funded_by"],
            "amount": u["amount"]["amount"],
            "currency": u["amount"]["currency"],
            "description": (u.get("description") or "")[:500],
            "recorded_on": _day(u["recorded_on"]),
        }
        for u in usage
    ]


def balance_rows(agency_id: uuid.UUID, balances: list[dict]) -> list[dict]:
    return [
        {
            "agency_id": agency_id,
            "account": "agency" if b["kind"] == "agency" else str(b["client_id"]),
            "client_id": uuid.UUID(b["client_id"]) if b["kind"] != "agency" else None,
            "amount": b["balance"]["amount"],
            "currency": b["balance"]["currency"],
            "as_of": _moment(b["as_of"]),
        }
        for b in balances
    ]


def known_agencies(session: Session) -> list[uuid.UUID]:
    with session.begin():
        ids = set(session.scalars(select(AgencyFact.agency_id)))
        ids |= set(session.scalars(select(InvoiceFact.agency_id).distinct()))
        ids |= set(session.scalars(select(ClientFact.agency_id).distinct()))
    return sorted(ids, key=str)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m reporting.rebuild", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--agency", action="append", help="an agency id (repeatable); default: every agency known"
    )
    args = parser.parse_args(argv)
    from kit.rpc import RpcClient

    config = load_config("reporting")
    settings = Settings.from_config(config)
    engine = make_engine(config[DATABASE_URL_KEY], pool_size=1)
    rpc = RpcClient(config, timeout=float(config.get("RPC_TIMEOUT", 10)))
    try:
        with Session(engine) as session:
            agencies = [uuid.UUID(a) for a in args.agency or []] or known_agencies(session)
            for agency_id in agencies:
                counts = rebuild_agency(session, agency_id, rpc.call, settings.rebuild_page_size)
                print(f"agency {agency_id}: {counts}")
    finally:
        rpc.close()
        engine.dispose()


if __name__ == "__main__":
    main()
