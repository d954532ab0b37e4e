"""Rebuild reporting's figures for one agency (or every agency it knows) from the services that
own the facts, over RPC with a system context, a page at a time:

    python -m reporting.rebuild [--agency ID]

identity: the agency's time zone; billing: every invoice with its lines (`export_invoices`) and
every assignment (`list_assignments`); clients: every client, archived ones too (`list_clients`).
Refunds are kept as reporting heard them (billing does not list them yet). The calls are made
first, outside any transaction; then one transaction empties the agency's rows and writes the
new ones (COPY), so a reader sees the old figures or the new, never half. Events that arrive
while it runs are applied on top of whichever it sees.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kit.bulk import copy_rows
from kit.config import load_config
from kit.context import Context
from kit.db import DATABASE_URL_KEY, make_engine, utcnow
from reporting.learning import local_day, remember_agency, remember_service_names, replay_client
from reporting.loading import load_invoices
from reporting.models import (
    AgencyFact,
    AssignmentFact,
    ClientChange,
    ClientFact,
    InvoiceFact,
    RefundFact,
    RevenueClientDay,
    RevenueDay,
    RevenueServiceDay,
    RevenueServiceMonth,
    RevenueTotalDay,
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
        "assignments": pages(call, "billing", "list_assignments", ctx, per_page),
        "clients": clients,
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


def rebuild_agency(session: Session, agency_id: uuid.UUID, call: Call, per_page: int = 100):
    """Replace the agency's read models by what identity, billing and clients hold now."""
    found = fetch(agency_id, call, per_page)  # no transaction open while other services answer
    with session.begin():
        remember_agency(session, agency_id, found["agency"].get("timezone"))
        for model in (
            InvoiceFact, RevenueDay, RevenueClientDay, RevenueServiceDay, RevenueServiceMonth,
            RevenueTotalDay,
            AssignmentFact, ClientChange, ClientFact,
        ):  # fmt: skip
            session.execute(delete(model).where(model.agency_id == agency_id))
        refunds: dict[uuid.UUID, list] = {}
        for r in session.execute(select(RefundFact).where(RefundFact.agency_id == agency_id)):
            refund = r[0]
            refunds.setdefault(refund.invoice_id, []).append((refund.refunded_on, refund.amount))
        facts = [
            invoice_fact(
                session,
                agency_id,
                invoice,
                sum(a for _, a in refunds.get(uuid.UUID(invoice["id"]), [])),
            )
            for invoice in found["invoices"]
        ]
        load_invoices(session, agency_id, facts, refunds)
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
        for client in found["clients"]:
            client_id = uuid.UUID(client["id"])
            changes = [("created", _moment(client["created_at"]), client["status"])]
            if client.get("archived") and client.get("archived_at"):
                changes.append(("archived", _moment(client["archived_at"]), None))
            for kind, when, status in changes:
                session.add(
                    ClientChange(
                        event_id=uuid.uuid5(client_id, kind),
                        agency_id=agency_id,
                        client_id=client_id,
                        occurred_at=when,
                        kind=kind,
                        name=client["name"],
                        status=status,
                    )
                )
            session.flush()
            replay_client(session, agency_id, client_id)
    return {
        "invoices": len(facts),
        "assignments": len(found["assignments"]),
        "clients": len(found["clients"]),
    }


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
