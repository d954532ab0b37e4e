"""Re-read what billing keeps of other services over RPC: every client (clients service) and
the agency's name and time zone (identity), for each agency billing knows or those named.

    python -m billing.refresh_clients [agency_id ...]

Events keep these facts current; run this after restoring a backup, or when events were lost
to a failure recorded in `failed_events`.
"""

from __future__ import annotations

import sys
import uuid

from sqlalchemy.orm import Session

from billing.facts.agencies import known_agencies, refresh_agency
from billing.facts.clients import refresh_agency_clients
from kit.config import load_config
from kit.db import DATABASE_URL_KEY, make_engine
from kit.rpc import RpcClient


def refresh(session: Session, agencies: list[uuid.UUID], rpc) -> dict[str, int]:
    """For each agency: its facts from identity, its clients from clients; clients per agency."""
    counts = {}
    for agency_id in agencies:
        refresh_agency(session, agency_id, lambda ctx: rpc.call("identity", "get_agency", ctx))
        counts[str(agency_id)] = refresh_agency_clients(
            session, agency_id, lambda ctx, **kw: rpc.call("clients", "list_clients", ctx, **kw)
        )
    return counts


def main(argv: list[str]) -> None:
    config = load_config("billing")
    engine = make_engine(config[DATABASE_URL_KEY], pool_size=1)
    rpc = RpcClient(config, timeout=float(config.get("RPC_TIMEOUT", 10)))
    try:
        with Session(engine) as session:
            agencies = [uuid.UUID(a) for a in argv] or known_agencies(session)
            for agency_id, count in refresh(session, agencies, rpc).items():
                print(f"agency {agency_id}: {count} clients")
    finally:
        rpc.close()
        engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
