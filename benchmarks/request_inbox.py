"""Benchmark: the team's Requests inbox and the navigation's counts on a busy agency.

    python -m benchmarks.request_inbox          # 5,000 requests over 50 clients
    python -m benchmarks.request_inbox 20000    # any number

Target: a page of the inbox (any filter) and the counts each in well under 100 ms: the counts
are asked on every team page. The requests go straight into the `agency_clients_bench_inbox`
database (re-created and migrated first); half of them were read by the caller, a third are in
each of three statuses, one in seven is assigned to the caller, one client in five is theirs.
Printed: the mean of 20 calls of each query through the service's own functions.
"""

from __future__ import annotations

import sys
import time
import uuid
from datetime import timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from clients import request_inbox
from clients.models import Client, ClientRequest, RequestRead
from kit.context import Context
from kit.db import utcnow
from kit.testing import drop_database, fresh_database

STATUSES = ("open", "in_progress", "done")


def fill(engine, agency: uuid.UUID, user: str, count: int) -> None:
    now = utcnow()
    with Session(engine) as session:
        clients = [
            Client(agency_id=agency, name=f"Client {i}", account_manager_ids=[user] * (i % 5 == 0))
            for i in range(50)
        ]
        session.add_all(clients)
        session.flush()
        requests = []
        for i in range(count):
            moment = now - timedelta(minutes=i)
            requests.append(
                ClientRequest(
                    agency_id=agency,
                    client_id=clients[i % 50].id,
                    title=f"Request {i}",
                    status=STATUSES[i % 3],
                    assignee_id=user if i % 7 == 0 else None,
                    activity_at=moment,
                    created_at=moment,
                    updated_at=moment,
                )
            )
        session.add_all(requests)
        session.flush()
        session.add_all(
            RequestRead(agency_id=agency, request_id=r.id, user_id=user, read_at=now)
            for r in requests[::2]
        )
        session.commit()
        session.execute(text("ANALYZE"))
        session.commit()


def timed(engine, label: str, query, calls: int = 20) -> None:
    with Session(engine) as session:
        answer = query(session)
        start = time.perf_counter()
        for _ in range(calls):
            query(session)
        mean = (time.perf_counter() - start) / calls * 1000
    print(f"{label:<28} {mean:6.1f} ms   {answer.get('total', answer)}")


def main(count: int) -> None:
    url = fresh_database("clients", suffix="_bench_inbox")
    engine = create_engine(url)
    agency, user = uuid.uuid4(), str(uuid.uuid4())
    ctx = Context(agency_id=str(agency), principal_id=user, permissions=frozenset({"view_clients"}))
    try:
        fill(engine, agency, user, count)
        print(f"{count} requests, 50 clients")
        timed(
            engine,
            "inbox (open and in progress)",
            lambda s: request_inbox.list_requests(s, ctx, status="open_any"),
        )
        timed(
            engine, "inbox, unread only", lambda s: request_inbox.list_requests(s, ctx, unread=True)
        )
        timed(
            engine,
            "inbox, my clients",
            lambda s: request_inbox.list_requests(s, ctx, account_manager_id=user),
        )
        timed(engine, "navigation counts", lambda s: request_inbox.count_requests(s, ctx))
    finally:
        engine.dispose()
        drop_database(url)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000)
