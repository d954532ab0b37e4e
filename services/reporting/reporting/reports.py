"""The reports: plain functions over the read models, each for a date range (the agency's days,
inclusive), optionally one client, in one currency.

Definitions (docs/contracts.md, "reporting"):
- revenue = paid - refunded, on the days the money moved; `issued` on the invoice's date.
- outstanding = invoices open now, issued up to the range's end; failed the same for `failed`.
- MRR = the monthly rate of the recurring assignments active on the range's last day
  (a 30-day rate times 365 / 360, rounded half up).
- Aging = open and failed invoices issued up to `to`, by days past their due date on `to`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.errors import NotFound, ValidationError
from kit.ids import parse_id
from reporting.learning import timezone_of
from reporting.models import (
    MEASURES,
    AssignmentFact,
    BalanceFact,
    ClientFact,
    InvoiceFact,
    RevenueClientDay,
    RevenueDay,
    RevenueServiceDay,
    RevenueServiceMonth,
    RevenueTotalDay,
    ServiceName,
    UsageFact,
)

RECURRING = ("recurring_in_advance", "recurring_in_arrears")
AGING_BUCKETS = ("current", "1_30", "31_60", "61_90", "90_plus")
MAX_RANGE_DAYS = 3660


class Scope:
    """What a report is asked for: the agency, its days, one client or all, the currency."""

    def __init__(self, session: Session, ctx: Context, date_from, date_to, client_id, currency):
        ctx.require(permissions.VIEW_REPORTS)
        self.agency = ctx.agency
        self.today = _today(session, self.agency)
        self.date_to = _date(date_to, "to") or self.today
        self.date_from = _date(date_from, "from") or self.date_to.replace(day=1)
        if self.date_from > self.date_to:
            raise ValidationError("from must not be after to.", {"from": "Must not be after to."})
        if (self.date_to - self.date_from).days > MAX_RANGE_DAYS:
            raise ValidationError(
                "The range is too long (at most ten years).", {"from": "At most ten years."}
            )
        self.client_id = _client(session, self.agency, client_id)
        self.currency = _currency(session, self.agency, currency)

    def as_dict(self) -> dict:
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "client_id": str(self.client_id) if self.client_id else None,
            "currency": self.currency,
        }

    def money(self, amount: int | None) -> dict:
        return {"amount": int(amount or 0), "currency": self.currency}


def _today(session: Session, agency: uuid.UUID) -> date:
    return datetime.now(UTC).astimezone(timezone_of(session, agency)).date()


def _date(value: Any, field: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            f"{field} must be a date (YYYY-MM-DD).", {field: "Enter a date as YYYY-MM-DD."}
        ) from None


def _client(session: Session, agency: uuid.UUID, client_id: Any) -> uuid.UUID | None:
    """A client filter: one the agency has (reporting heard of it), else NotFound."""
    if client_id in (None, ""):
        return None
    found = parse_id(client_id, "client")
    known = session.scalar(
        select(ClientFact.client_id).where(
            ClientFact.client_id == found, ClientFact.agency_id == agency
        )
    ) or session.scalar(
        select(InvoiceFact.client_id)
        .where(InvoiceFact.agency_id == agency, InvoiceFact.client_id == found)
        .limit(1)
    )
    if known is None:
        raise NotFound("No such client.")
    return found


def _currency(session: Session, agency: uuid.UUID, currency: Any) -> str:
    """The currency asked for, else the agency's most invoiced one, else USD."""
    if currency:
        text = str(currency).upper()
        if len(text) != 3 or not text.isalpha():
            raise ValidationError(
                "currency must be a three-letter code.", {"currency": "Not a currency code."}
            )
        return text
    found = session.scalar(
        select(RevenueTotalDay.currency)
        .where(RevenueTotalDay.agency_id == agency)
        .group_by(RevenueTotalDay.currency)
        .order_by(func.sum(RevenueTotalDay.issued).desc())
        .limit(1)
    )
    return found or "USD"


def _sums(model, scope: Scope, *conditions):
    return [func.coalesce(func.sum(getattr(model, m)), 0).label(m) for m in MEASURES], [
        model.agency_id == scope.agency,
        model.currency == scope.currency,
        *conditions,
    ]


def _day_model(scope: Scope):
    """The smallest table that answers for the scope: all clients, or one."""
    if scope.client_id:
        return RevenueClientDay, [RevenueClientDay.client_id == scope.client_id]
    return RevenueTotalDay, []


def monthly_rate(rate: int) -> int:
    """A 30-day rate as a monthly one: rate * 365 / 360, rounded half up."""
    return (rate * 365 * 2 + 360) // (360 * 2)


def mrr(session: Session, scope: Scope) -> int:
    """Each active recurring assignment's `monthly_rate`, summed in the database."""
    on = scope.date_to
    query = select(func.coalesce(func.sum((AssignmentFact.rate * 730 + 360) // 720), 0)).where(
        AssignmentFact.agency_id == scope.agency,
        AssignmentFact.currency == scope.currency,
        AssignmentFact.billing_type.in_(RECURRING),
        AssignmentFact.deleted.is_(False),
        AssignmentFact.start_date <= on,
        or_(AssignmentFact.end_date.is_(None), AssignmentFact.end_date >= on),
    )
    if scope.client_id:
        query = query.where(AssignmentFact.client_id == scope.client_id)
    return int(session.scalar(query))


def usage_total(session: Session, scope: Scope) -> int:
    query = select(func.coalesce(func.sum(UsageFact.amount), 0)).where(
        UsageFact.agency_id == scope.agency,
        UsageFact.currency == scope.currency,
        UsageFact.recorded_on.between(scope.date_from, scope.date_to),
    )
    if scope.client_id:
        query = query.where(UsageFact.client_id == scope.client_id)
    return int(session.scalar(query))


def agency_balance(session: Session, scope: Scope) -> dict | None:
    row = session.execute(
        select(BalanceFact.amount, BalanceFact.currency).where(
            BalanceFact.agency_id == scope.agency, BalanceFact.account == "agency"
        )
    ).first()
    return {"amount": row.amount, "currency": row.currency} if row else None


def _month(day: date) -> str:
    return day.strftime("%Y-%m")


def _months(scope: Scope) -> list[str]:
    months, day = [], scope.date_from.replace(day=1)
    while day <= scope.date_to:
        months.append(_month(day))
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def revenue_by_month(session: Session, scope: Scope) -> list[dict]:
    """Per month of the range: paid (net of refunds), still open and failed (by issue month)."""
    model, extra = _day_model(scope)
    month = func.to_char(model.day, "YYYY-MM")
    columns, where = _sums(model, scope, *extra)
    rows = session.execute(
        select(month.label("month"), *columns)
        .where(*where, model.day.between(scope.date_from, scope.date_to))
        .group_by(month)
    ).all()
    found = {r.month: r._mapping for r in rows}
    answer = []
    for m in _months(scope):
        row = found.get(m) or dict.fromkeys(MEASURES, 0)
        answer.append(
            {
                "month": m,
                **{k: scope.money(row[k]) for k in MEASURES},
                "revenue": scope.money(row["paid"] - row["refunded"]),
            }
        )
    return answer


def revenue_by(session: Session, scope: Scope, group: str) -> list[dict]:
    """Per client or per service in the range, every measure, with names."""
    if group == "month":
        return revenue_by_month(session, scope)
    if group == "client":
        model, key = (RevenueClientDay, RevenueClientDay.client_id)
        extra = [model.client_id == scope.client_id] if scope.client_id else []
    elif scope.client_id:
        model, key = RevenueDay, RevenueDay.service_id
        extra = [model.client_id == scope.client_id]
    else:
        return _named(session, scope, group, services_in_range(session, scope))
    columns, where = _sums(model, scope, *extra)
    rows = session.execute(
        select(key.label("id"), *columns)
        .where(*where, model.day.between(scope.date_from, scope.date_to))
        .group_by(key)
    ).all()
    return _named(session, scope, group, [(r.id, r._mapping) for r in rows])


def services_in_range(session: Session, scope: Scope) -> list[tuple]:
    """Every service's sums over the range: its whole months from `revenue_service_months`,
    the days of the months it cuts from `revenue_service_days` (a few hundred rows to sum,
    however long the range)."""
    first_whole = scope.date_from if scope.date_from.day == 1 else _next_month(scope.date_from)
    after_whole = _next_month(scope.date_to)
    if (after_whole - timedelta(days=1)) != scope.date_to:
        after_whole = scope.date_to.replace(day=1)
    sums: dict = {}

    def add(rows) -> None:
        for r in rows:
            target = sums.setdefault(r.id, dict.fromkeys(MEASURES, 0))
            for m in MEASURES:
                target[m] += int(r._mapping[m])

    day_columns, day_where = _sums(RevenueServiceDay, scope)
    in_range = RevenueServiceDay.day.between(scope.date_from, scope.date_to)
    if first_whole < after_whole:
        month_columns, month_where = _sums(RevenueServiceMonth, scope)
        add(
            session.execute(
                select(RevenueServiceMonth.service_id.label("id"), *month_columns)
                .where(
                    *month_where,
                    RevenueServiceMonth.month >= first_whole,
                    RevenueServiceMonth.month < after_whole,
                )
                .group_by(RevenueServiceMonth.service_id)
            )
        )
        in_range = in_range & or_(
            RevenueServiceDay.day < first_whole, RevenueServiceDay.day >= after_whole
        )
    add(
        session.execute(
            select(RevenueServiceDay.service_id.label("id"), *day_columns)
            .where(*day_where, in_range)
            .group_by(RevenueServiceDay.service_id)
        )
    )
    return list(sums.items())


def _next_month(day: date) -> date:
    return (day.replace(day=1) + timedelta(days=32)).replace(day=1)


def _named(session: Session, scope: Scope, group: str, rows: list[tuple]) -> list[dict]:
    """Rows of (id, sums) as the report's rows, with names."""
    names = _names(session, scope.agency, group, [i for i, _ in rows])
    answer = []
    for row_id, values in rows:
        answer.append(
            {
                f"{group}_id": str(row_id),
                f"{group}_name": names.get(row_id, ""),
                **{k: scope.money(values[k]) for k in MEASURES},
                "revenue": scope.money(values["paid"] - values["refunded"]),
            }
        )
    return answer


def _names(session: Session, agency: uuid.UUID, group: str, ids: list) -> dict:
    if not ids:
        return {}
    if group == "client":
        rows = session.execute(
            select(ClientFact.client_id, ClientFact.name).where(
                ClientFact.agency_id == agency, ClientFact.client_id.in_(ids)
            )
        ).all()
        found = {r[0]: r[1] for r in rows}
        missing = [i for i in ids if not found.get(i)]
        if missing:  # a client reporting knows only from its invoices
            rows = session.execute(
                select(InvoiceFact.client_id, func.max(InvoiceFact.client_name))
                .where(InvoiceFact.agency_id == agency, InvoiceFact.client_id.in_(missing))
                .group_by(InvoiceFact.client_id)
            ).all()
            found.update({r[0]: r[1] for r in rows})
        return found
    rows = session.execute(
        select(ServiceName.service_id, ServiceName.name).where(
            ServiceName.agency_id == agency, ServiceName.service_id.in_(ids)
        )
    ).all()
    return {r[0]: r[1] for r in rows}


def month_sums(session: Session, scope: Scope) -> tuple[list[dict], dict, dict]:
    """One query for three answers: per month of the range its sums (`revenue_by_month`), the
    range's totals, and open / failed now of everything issued by `to`."""
    model, extra = _day_model(scope)
    month = func.to_char(model.day, "YYYY-MM")
    in_range = model.day >= scope.date_from
    rows = session.execute(
        select(
            month.label("month"),
            *[
                func.coalesce(func.sum(getattr(model, m)).filter(in_range), 0).label(m)
                for m in MEASURES
            ],
            func.coalesce(func.sum(model.open), 0).label("all_open"),
            func.coalesce(func.sum(model.failed), 0).label("all_failed"),
        )
        .where(
            model.agency_id == scope.agency,
            model.currency == scope.currency,
            model.day <= scope.date_to,
            *extra,
        )
        .group_by(month)
    ).all()
    found = {r.month: r._mapping for r in rows}
    months = []
    for m in _months(scope):
        row = found.get(m) or dict.fromkeys(MEASURES, 0)
        months.append({"month": m, **{k: int(row[k]) for k in MEASURES}})
    totals = {k: sum(r[k] for r in months) for k in MEASURES}
    unpaid = {
        "open": sum(int(r.all_open) for r in rows),
        "failed": sum(int(r.all_failed) for r in rows),
    }
    return months, totals, unpaid


def dashboard(
    session: Session, ctx: Context, date_from=None, date_to=None, client_id=None, currency=None
) -> dict:
    """The KPIs and charts of the dashboard for a range and (optionally) one client."""
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    months, totals, unpaid = month_sums(session, scope)
    growth = client_growth_rows(session, scope)
    by_service = sorted(
        revenue_by(session, scope, "service"), key=lambda r: -r["revenue"]["amount"]
    )
    money = scope.money
    return {
        **scope.as_dict(),
        "kpis": {
            "revenue": money(totals["paid"] - totals["refunded"]),
            "issued": money(totals["issued"]),
            "outstanding": money(unpaid["open"]),
            "failed": money(unpaid["failed"]),
            "mrr": money(mrr(session, scope)),
            # On the range's last day, replayed from the clients' history.
            "active_clients": growth[-1]["active"] if growth else 0,
            "new_clients": sum(r["new"] for r in growth),
            "usage": money(usage_total(session, scope)),
            "agency_balance": agency_balance(session, scope),
        },
        "revenue_by_month": [
            {
                "month": r["month"],
                "paid": money(r["paid"] - r["refunded"]),
                "open": money(r["open"]),
                "failed": money(r["failed"]),
            }
            for r in months
        ],
        "client_growth": growth,
        "revenue_by_service": [
            {
                "service_id": r["service_id"],
                "service_name": r["service_name"],
                "revenue": r["revenue"],
            }
            for r in by_service
        ],
    }


def revenue_report(
    session, ctx, date_from=None, date_to=None, client_id=None, currency=None, group="client"
) -> dict:
    if group not in ("client", "service", "month"):
        raise ValidationError(
            "group must be client, service or month.", {"group": "Choose client, service or month."}
        )
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    rows = revenue_by(session, scope, group)
    totals = {k: scope.money(sum(r[k]["amount"] for r in rows)) for k in (*MEASURES, "revenue")}
    return {**scope.as_dict(), "group": group, "rows": rows, "totals": totals}


def invoices_report(
    session, ctx, date_from=None, date_to=None, client_id=None, currency=None
) -> dict:
    """Invoices issued in the range, per status now: how many and their total."""
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    query = (
        select(
            InvoiceFact.status,
            func.count().label("count"),
            func.coalesce(func.sum(InvoiceFact.total), 0).label("total"),
        )
        .where(
            InvoiceFact.agency_id == scope.agency,
            InvoiceFact.currency == scope.currency,
            InvoiceFact.issued.is_(True),
            InvoiceFact.issued_on.between(scope.date_from, scope.date_to),
        )
        .group_by(InvoiceFact.status)
    )
    if scope.client_id:
        query = query.where(InvoiceFact.client_id == scope.client_id)
    found = {r.status: r for r in session.execute(query).all()}
    rows = [
        {
            "status": s,
            "count": found[s].count if s in found else 0,
            "total": scope.money(found[s].total if s in found else 0),
        }
        for s in ("open", "failed", "paid", "void")
    ]
    totals = {
        "count": sum(r["count"] for r in rows),
        "total": scope.money(sum(r["total"]["amount"] for r in rows)),
    }
    return {**scope.as_dict(), "rows": rows, "totals": totals}


def aging_bucket(days_past_due: int) -> str:
    if days_past_due <= 0:
        return "current"
    if days_past_due <= 30:
        return "1_30"
    if days_past_due <= 60:
        return "31_60"
    if days_past_due <= 90:
        return "61_90"
    return "90_plus"


def aging_report(session, ctx, date_from=None, date_to=None, client_id=None, currency=None) -> dict:
    """Open and failed invoices issued up to `to`, per client, by days past due on `to`."""
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    query = select(
        InvoiceFact.client_id, InvoiceFact.client_name, InvoiceFact.due_on, InvoiceFact.total
    ).where(
        InvoiceFact.agency_id == scope.agency,
        InvoiceFact.currency == scope.currency,
        InvoiceFact.issued.is_(True),
        InvoiceFact.status.in_(("open", "failed")),
        InvoiceFact.issued_on <= scope.date_to,
    )
    if scope.client_id:
        query = query.where(InvoiceFact.client_id == scope.client_id)
    by_client: dict = {}
    for r in session.execute(query):
        row = by_client.setdefault(
            r.client_id,
            {
                "client_id": str(r.client_id),
                "client_name": r.client_name,
                **dict.fromkeys(AGING_BUCKETS, 0),
                "total": 0,
                "count": 0,
            },
        )
        row[aging_bucket((scope.date_to - r.due_on).days)] += r.total
        row["total"] += r.total
        row["count"] += 1
    names = _names(session, scope.agency, "client", list(by_client))
    rows = []
    for client, row in by_client.items():
        row["client_name"] = names.get(client) or row["client_name"]
        rows.append({**row, **{k: scope.money(row[k]) for k in (*AGING_BUCKETS, "total")}})
    totals = {k: scope.money(sum(r[k]["amount"] for r in rows)) for k in (*AGING_BUCKETS, "total")}
    totals["count"] = sum(r["count"] for r in rows)
    return {**scope.as_dict(), "buckets": list(AGING_BUCKETS), "rows": rows, "totals": totals}


def usage_report(session, ctx, date_from=None, date_to=None, client_id=None, currency=None) -> dict:
    """Usage in the range per client and funding source (agency or customer)."""
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    query = (
        select(
            UsageFact.client_id,
            func.max(UsageFact.client_name).label("client_name"),
            UsageFact.funded_by,
            func.count().label("count"),
            func.coalesce(func.sum(UsageFact.amount), 0).label("amount"),
        )
        .where(
            UsageFact.agency_id == scope.agency,
            UsageFact.currency == scope.currency,
            UsageFact.recorded_on.between(scope.date_from, scope.date_to),
        )
        .group_by(UsageFact.client_id, UsageFact.funded_by)
    )
    if scope.client_id:
        query = query.where(UsageFact.client_id == scope.client_id)
    balances = {
        r.client_id: r.amount
        for r in session.execute(
            select(BalanceFact.client_id, BalanceFact.amount).where(
                BalanceFact.agency_id == scope.agency, BalanceFact.client_id.is_not(None)
            )
        )
    }
    rows = [
        {
            "client_id": str(r.client_id) if r.client_id else None,
            "client_name": r.client_name,
            "funded_by": r.funded_by,
            "count": r.count,
            "amount": scope.money(r.amount),
            "client_balance": scope.money(balances[r.client_id])
            if r.client_id in balances
            else None,
        }
        for r in session.execute(query)
    ]
    totals = {
        "count": sum(r["count"] for r in rows),
        "amount": scope.money(sum(r["amount"]["amount"] for r in rows)),
    }
    for source in ("agency", "customer"):
        totals[source] = scope.money(
            sum(r["amount"]["amount"] for r in rows if r["funded_by"] == source)
        )
    return {
        **scope.as_dict(),
        "rows": rows,
        "totals": totals,
        "agency_balance": agency_balance(session, scope),
    }


# Each change of a client with the state it leaves the client in (its last status, archived or
# not) and the state before it, counted per month (changes before the range count in its first).
GROWTH_MOVES = """
WITH ch AS (
    SELECT client_id, CAST(timezone(:zone, occurred_at) AS date) AS day, kind,
        array_agg(status) FILTER (WHERE kind IN ('created', 'status') AND status IS NOT NULL)
            OVER w AS statuses,
        array_agg(kind) FILTER (WHERE kind IN ('archived', 'restored')) OVER w AS archiving,
        row_number() OVER w AS n
    FROM client_changes
    WHERE agency_id = :agency AND (CAST(:client AS uuid) IS NULL OR client_id = :client)
    WINDOW w AS (PARTITION BY client_id ORDER BY occurred_at, event_id)
), states AS (
    SELECT client_id, day, kind, n,
        CASE WHEN coalesce(archiving[cardinality(archiving)], '') = 'archived' THEN 'archived_total'
             WHEN coalesce(statuses[cardinality(statuses)], 'active') = 'active' THEN 'active'
             ELSE 'inactive' END AS after
    FROM ch
), moves AS (
    SELECT day, kind, after, lag(after) OVER (PARTITION BY client_id ORDER BY n) AS before
    FROM states
)
SELECT to_char(greatest(CAST(date_trunc('month', day) AS date), :first), 'YYYY-MM') AS month,
    kind, before, after, day >= :date_from AS in_range, count(*) AS n
FROM moves WHERE day <= :date_to
GROUP BY 1, 2, 3, 4, 5
"""


def client_growth_rows(session: Session, scope: Scope) -> list[dict]:
    """Per month of the range: clients new and archived in it, and at its end (or the range's)
    how many were active, inactive and archived, replayed from each client's history.

    Each change of a client's state counts in the month it happened (+1 to the new state, -1 to
    the old; before the range: in its first month) and the months are summed up. The replay is
    one query (GROWTH_MOVES), whatever the number of clients."""
    months = _months(scope)
    states = ("active", "inactive", "archived_total")
    deltas = {m: dict.fromkeys((*states, "new", "archived"), 0) for m in months}
    rows = session.execute(
        text(GROWTH_MOVES),
        {
            "zone": timezone_of(session, scope.agency).key,
            "agency": scope.agency,
            "client": scope.client_id,
            "first": scope.date_from.replace(day=1),
            "date_from": scope.date_from,
            "date_to": scope.date_to,
        },
    ).all()
    for r in rows:
        delta = deltas[r.month]
        if r.before != r.after:
            delta[r.after] += r.n
            if r.before is not None:
                delta[r.before] -= r.n
        if r.in_range and r.kind in ("created", "archived"):
            delta["new" if r.kind == "created" else "archived"] += r.n
    answer, running = [], dict.fromkeys(states, 0)
    for m in months:
        for key in states:
            running[key] += deltas[m][key]
        answer.append(
            {"month": m, "new": deltas[m]["new"], "archived": deltas[m]["archived"], **running}
        )
    return answer


def clients_report(
    session, ctx, date_from=None, date_to=None, client_id=None, currency=None
) -> dict:
    scope = Scope(session, ctx, date_from, date_to, client_id, currency)
    rows = client_growth_rows(session, scope)
    last = rows[-1] if rows else {}
    totals = {
        "new": sum(r["new"] for r in rows),
        "archived": sum(r["archived"] for r in rows),
        "active": last.get("active", 0),
        "inactive": last.get("inactive", 0),
        "archived_total": last.get("archived_total", 0),
    }
    return {**scope.as_dict(), "rows": rows, "totals": totals}


def client_profile(session, ctx, client_id) -> dict:
    """A client's revenue (all time), open balance, latest invoices and usage this month."""
    scope = Scope(session, ctx, None, None, None, None)
    scope.client_id = _client(session, scope.agency, client_id)
    columns, where = _sums(RevenueClientDay, scope, RevenueClientDay.client_id == scope.client_id)
    totals = session.execute(select(*columns).where(*where)).one()._mapping
    invoices = (
        session.execute(
            select(InvoiceFact)
            .where(
                InvoiceFact.agency_id == scope.agency,
                InvoiceFact.client_id == scope.client_id,
                InvoiceFact.issued.is_(True),
            )
            .order_by(InvoiceFact.issued_on.desc(), InvoiceFact.number.desc())
            .limit(10)
        )
        .scalars()
        .all()
    )
    usage = usage_total(session, scope)
    return {
        "client_id": str(scope.client_id),
        "currency": scope.currency,
        "revenue": scope.money(totals["paid"] - totals["refunded"]),
        "open_balance": scope.money(totals["open"] + totals["failed"]),
        "usage_this_month": scope.money(usage),
        "invoices": [
            {
                "id": str(i.invoice_id),
                "number": i.number,
                "issued_on": i.issued_on.isoformat(),
                "due_on": i.due_on.isoformat() if i.due_on else None,
                "status": i.status,
                "total": {"amount": i.total, "currency": i.currency},
            }
            for i in invoices
        ],
    }
