"""A seeded agency's events, with the figures worked out by hand in the comments.

The agency is in New York. Payments, refunds and voids are dated by its day: 03:00 UTC on
1 February is 31 January there, 04:30 UTC on 1 March is 28 February.
"""

from __future__ import annotations

import uuid

TIMEZONE = "America/New_York"


class Ids:
    """Fresh ids for one seeded agency."""

    def __init__(self):
        self.ACME, self.BETA, self.GAMMA = (str(uuid.uuid4()) for _ in range(3))
        self.SEO, self.ADS, self.HOSTING = (str(uuid.uuid4()) for _ in range(3))
        self.INVOICES = [str(uuid.uuid4()) for _ in range(5)]
        # "=Beta": a formula in a CSV cell
        self.NAMES = {self.ACME: "Acme", self.BETA: "=Beta", self.GAMMA: "Gamma"}
        self.SERVICE_NAMES = {self.SEO: "SEO", self.ADS: "Ads", self.HOSTING: "Hosting"}


def usd(amount: int) -> dict:
    return {"amount": amount, "currency": "USD"}


class Feed:
    """Payloads as the outbox publishes them (event_id, event_type, agency_id, occurred_at)."""

    def __init__(self, agency_id: str):
        self.agency_id = agency_id
        self.ids = Ids()
        self.events: list[tuple[str, dict]] = []

    def add(self, event_type: str, at: str, **data) -> dict:
        payload = {
            **data,
            "event_id": str(uuid.uuid4()),
            "event_type": event_type,
            "agency_id": self.agency_id,
            "request_id": "r",
            "occurred_at": at,
        }
        self.events.append((event_type, payload))
        return payload


def issued(feed, n, client, on, due, lines, at=None):
    ids = feed.ids
    feed.add(
        "invoice_issued",
        at or f"{on}T12:00:00+00:00",
        invoice_id=ids.INVOICES[n],
        number=n + 1,
        client_id=client,
        client_name=ids.NAMES[client],
        assignment_id=None,
        issued_on=on,
        due_on=due,
        payment_method="check",
        total=usd(sum(a for _, a in lines)),
        lines=[
            {
                "service_id": s,
                "service_name": ids.SERVICE_NAMES[s],
                "description": "",
                "period_start": None,
                "period_end": None,
                "minutes": None,
                "amount": usd(a),
            }
            for s, a in lines
        ],
    )


def summary(ids, n, client, total):
    return {
        "invoice_id": ids.INVOICES[n],
        "number": n + 1,
        "client_id": client,
        "client_name": ids.NAMES[client],
        "payment_method": "check",
        "total": usd(total),
    }


def seeded(agency_id: str) -> Feed:
    feed = Feed(agency_id)
    ids = feed.ids
    ACME, BETA, GAMMA = ids.ACME, ids.BETA, ids.GAMMA
    SEO, ADS, HOSTING = ids.SEO, ids.ADS, ids.HOSTING
    feed.add(
        "agency_signed_up", "2026-01-01T00:00:00+00:00", agency_name="Seeded", timezone=TIMEZONE
    )
    # Clients: Acme (5 Jan), Beta (20 Jan, inactive 10 Feb), Gamma (2 Feb, archived 20 Feb).
    feed.add(
        "client_created", "2026-01-05T15:00:00+00:00", client_id=ACME, name="Acme", status="active"
    )
    feed.add(
        "client_created", "2026-01-20T15:00:00+00:00", client_id=BETA, name="=Beta", status="active"
    )
    feed.add(
        "client_status_changed",
        "2026-02-10T15:00:00+00:00",
        client_id=BETA,
        name="=Beta",
        old_status="active",
        status="inactive",
    )
    feed.add(
        "client_created",
        "2026-02-02T15:00:00+00:00",
        client_id=GAMMA,
        name="Gamma",
        status="active",
    )
    feed.add("client_archived", "2026-02-20T15:00:00+00:00", client_id=GAMMA, name="Gamma")
    # #1 Acme, 15 Jan: SEO 100.00 + Ads 50.00; paid 03:00 UTC 1 Feb = 31 Jan in New York;
    # 30.00 refunded 5 Feb (20.00 SEO, 10.00 Ads).
    issued(feed, 0, ACME, "2026-01-15", "2026-01-29", [(SEO, 10000), (ADS, 5000)])
    feed.add(
        "invoice_paid",
        "2026-02-01T03:00:00+00:00",
        **summary(ids, 0, ACME, 15000),
        paid_method="check",
        paid_reference=None,
    )
    feed.add(
        "payment_refunded",
        "2026-02-05T12:00:00+00:00",
        invoice_id=ids.INVOICES[0],
        refund_id="re_1",
        amount=usd(3000),
        client_id=ACME,
    )
    # #2 Beta, 31 Jan: Hosting 80.00, declined 1 Feb: failed; 34 days past due on 20 March.
    issued(feed, 1, BETA, "2026-01-31", "2026-02-14", [(HOSTING, 8000)])
    feed.add(
        "invoice_failed",
        "2026-02-01T10:00:00+00:00",
        **summary(ids, 1, BETA, 8000),
        reason="card_declined",
    )
    # #3 Gamma, 1 Feb: SEO 120.00, voided 10 Feb.
    issued(feed, 2, GAMMA, "2026-02-01", "2026-02-15", [(SEO, 12000)])
    feed.add("invoice_voided", "2026-02-10T15:00:00+00:00", **summary(ids, 2, GAMMA, 12000))
    # #4 Acme, 15 Feb: SEO 100.00 + Ads 50.00, open; 19 days past due on 20 March.
    issued(feed, 3, ACME, "2026-02-15", "2026-03-01", [(SEO, 10000), (ADS, 5000)])
    # #5 Beta, 20 Feb: Hosting 30.00, paid 23:30 UTC 28 Feb; 10.00 refunded 04:30 UTC 1 March
    # (28 Feb in New York).
    issued(feed, 4, BETA, "2026-02-20", "2026-03-06", [(HOSTING, 3000)])
    feed.add(
        "invoice_paid",
        "2026-02-28T23:30:00+00:00",
        **summary(ids, 4, BETA, 3000),
        paid_method="card",
        paid_reference=None,
    )
    feed.add(
        "payment_refunded",
        "2026-03-01T04:30:00+00:00",
        invoice_id=ids.INVOICES[4],
        refund_id="re_2",
        amount=usd(1000),
        client_id=BETA,
    )

    # Assignments: Acme SEO 100.00 per 30 days from 15 Jan (101.39 a month); Beta Hosting 60.00
    # in arrears 1 Jan - 10 Feb (60.83 a month); Gamma Ads hourly (not recurring); an Acme Ads
    # assignment that was deleted.
    def assignment(event_type, at, aid, client, service, billing_type, rate, start, end=None):
        feed.add(
            event_type,
            at,
            assignment_id=aid,
            service_id=service,
            service_name=ids.SERVICE_NAMES[service],
            client_id=client,
            client_name=ids.NAMES[client],
            payment_method="check",
            billing_type=billing_type,
            start_date=start,
            end_date=end,
            rate=usd(rate),
        )

    a1, a2, a3, a4 = (str(uuid.uuid4()) for _ in range(4))
    assignment(
        "service_assigned",
        "2026-01-10T10:00:00+00:00",
        a1,
        ACME,
        SEO,
        "recurring_in_advance",
        10000,
        "2026-01-15",
    )
    assignment(
        "service_assigned",
        "2026-01-01T10:00:00+00:00",
        a2,
        BETA,
        HOSTING,
        "recurring_in_arrears",
        6000,
        "2026-01-01",
    )
    assignment(
        "assignment_ended",
        "2026-02-01T10:00:00+00:00",
        a2,
        BETA,
        HOSTING,
        "recurring_in_arrears",
        6000,
        "2026-01-01",
        "2026-02-10",
    )
    assignment(
        "service_assigned",
        "2026-02-02T10:00:00+00:00",
        a3,
        GAMMA,
        ADS,
        "hourly",
        9000,
        "2026-02-02",
    )
    assignment(
        "service_assigned",
        "2026-01-10T10:00:00+00:00",
        a4,
        ACME,
        ADS,
        "recurring_in_advance",
        9999,
        "2026-03-01",
    )
    assignment(
        "assignment_deleted",
        "2026-01-11T10:00:00+00:00",
        a4,
        ACME,
        ADS,
        "recurring_in_advance",
        9999,
        "2026-03-01",
    )
    # Usage: Acme 5.00 from the agency's balance, Beta 7.00 from its own; the agency tops up.
    feed.add(
        "usage_recorded",
        "2026-02-03T15:00:00+00:00",
        usage_id="u1",
        client_id=ACME,
        client_name="Acme",
        funded_by="agency",
        amount=usd(500),
        description="API calls",
        recorded_on="2026-02-03",
        balance_after=usd(9500),
    )
    feed.add(
        "usage_recorded",
        "2026-02-04T15:00:00+00:00",
        usage_id="u2",
        client_id=BETA,
        client_name="=Beta",
        funded_by="customer",
        amount=usd(700),
        description="SMS",
        recorded_on="2026-02-04",
        balance_after=usd(300),
    )
    feed.add(
        "balance_topped_up",
        "2026-02-06T15:00:00+00:00",
        transfer_id="t1",
        account="agency",
        client_id=None,
        amount=usd(5000),
        method="card",
        balance_after=usd(14500),
    )
    return feed
