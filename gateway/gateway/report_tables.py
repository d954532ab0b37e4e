"""The reports as tables: which columns each shows, in what order, how its rows sort, and the
same table as CSV. The Reports pages and the API's `.csv` answers both come from here, so a CSV
has exactly the rows and totals of the screen.

Every CSV cell goes through `kit.csv_cells` (a client named `=cmd` is written as text).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from gateway.rpc import services
from kit.csv_cells import csv_text
from kit.money import exponent
from kit.vocabulary import REPORTS


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | money | count


MEASURES = [
    Column("issued", "Issued", "money"),
    Column("paid", "Paid", "money"),
    Column("refunded", "Refunded", "money"),
    Column("revenue", "Revenue (paid - refunded)", "money"),
    Column("open", "Open", "money"),
    Column("failed", "Failed", "money"),
    Column("voided", "Voided", "money"),
]
GROUP_COLUMNS = {
    "client": Column("client_name", "Client"),
    "service": Column("service_name", "Service"),
    "month": Column("month", "Month"),
}
COLUMNS = {
    "invoices": [Column("status", "Status"), Column("count", "Invoices", "count"),
                 Column("total", "Total", "money")],
    "aging": [Column("client_name", "Client"), Column("current", "Current", "money"),
              Column("1_30", "1-30 days", "money"), Column("31_60", "31-60 days", "money"),
              Column("61_90", "61-90 days", "money"), Column("90_plus", "90+ days", "money"),
              Column("total", "Total", "money"), Column("count", "Invoices", "count")],
    "usage": [Column("client_name", "Client"), Column("funded_by", "Funded by"),
              Column("count", "Uses", "count"), Column("amount", "Amount", "money")],
    "clients": [Column("month", "Month"), Column("new", "New", "count"),
                Column("archived", "Archived", "count"), Column("active", "Active", "count"),
                Column("inactive", "Inactive", "count"),
                Column("archived_total", "Archived (total)", "count")],
}  # fmt: skip
TITLES = {
    "revenue": "Revenue",
    "invoices": "Invoices by status",
    "aging": "Open invoices by age",
    "usage": "Usage by client and funding source",
    "clients": "Client growth",
}
KPI_LABELS = {
    "revenue": "Revenue (paid - refunded)",
    "issued": "Invoiced",
    "outstanding": "Outstanding (open)",
    "failed": "Failed",
    "mrr": "Monthly recurring revenue",
    "active_clients": "Active clients",
    "new_clients": "New clients",
    "usage": "Usage",
    "agency_balance": "Agency balance",
}


def columns(name: str, group: str = "client") -> list[Column]:
    if name == "revenue":
        return [GROUP_COLUMNS.get(group, GROUP_COLUMNS["client"]), *MEASURES]
    return COLUMNS[name]


def fetch(name: str, filters: dict) -> dict:
    """The report from the reporting service, its rows sorted by `filters["sort"]`."""
    if name not in REPORTS:
        raise KeyError(name)
    args = {
        k: v
        for k, v in filters.items()
        if k in ("date_from", "date_to", "client_id", "currency") and v
    }
    if name == "revenue":
        args["group"] = filters.get("group") or "client"
    report = getattr(services.reporting, f"{name}_report")(**args)
    report["rows"] = sort_rows(
        report["rows"], columns(name, report.get("group", "")), filters.get("sort")
    )
    report["sort"] = filters.get("sort") or ""
    return report


def sortable(name: str, group: str = "client") -> list[str]:
    return [c.key for c in columns(name, group)]


def sort_rows(rows: list[dict], cols: list[Column], sort: str | None) -> list[dict]:
    """Rows ordered by a column key (`-key`: descending); unknown keys leave the order."""
    if not sort:
        return rows
    key, reverse = sort.lstrip("-"), sort.startswith("-")
    column = next((c for c in cols if c.key == key), None)
    if column is None:
        return rows

    def value(row):
        cell = row.get(key)
        if isinstance(cell, dict):
            return (0, cell.get("amount") or 0)
        if cell is None:
            return (1, "")
        return (0, cell.lower() if isinstance(cell, str) else cell)

    return sorted(rows, key=value, reverse=reverse)


def cell(row: dict, column: Column) -> Any:
    """A row's value for a CSV cell: money as a decimal number, others as they are."""
    value = row.get(column.key)
    if column.kind == "money":
        return amount(value)
    return value


def amount(money: Any) -> Decimal | None:
    if not isinstance(money, dict):
        return None
    places = exponent(money.get("currency") or "USD")
    return Decimal(int(money["amount"])).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def as_csv(name: str, report: dict) -> str:
    """The report as CSV: the header, the rows as on the screen, then a Total row."""
    cols = columns(name, report.get("group", "client"))
    lines: list[list[Any]] = [[c.label for c in cols]]
    lines += [[cell(row, c) for c in cols] for row in report["rows"]]
    totals = report.get("totals") or {}
    lines.append(["Total", *[cell(totals, c) for c in cols[1:]]])
    return csv_text(lines)


def dashboard_csv(board: dict) -> str:
    """The dashboard's figures, one a line, then its three charts' rows."""
    lines: list[list[Any]] = [["Figure", "Value", "Currency"]]
    for key, label in KPI_LABELS.items():
        value = board["kpis"].get(key)
        if isinstance(value, dict) or value is None:
            lines.append([label, amount(value), (value or {}).get("currency", "")])
        else:
            lines.append([label, value, ""])
    lines.append([])
    lines.append(["Month", "Paid", "Open", "Failed"])
    for row in board["revenue_by_month"]:
        lines.append(
            [row["month"], amount(row["paid"]), amount(row["open"]), amount(row["failed"])]
        )
    lines.append([])
    lines.append(["Month", "New clients", "Active", "Inactive", "Archived"])
    for row in board["client_growth"]:
        lines.append(
            [row["month"], row["new"], row["active"], row["inactive"], row["archived_total"]]
        )
    lines.append([])
    lines.append(["Service", "Revenue"])
    for row in board["revenue_by_service"]:
        lines.append([row["service_name"], amount(row["revenue"])])
    return csv_text(lines)


def filename(name: str, report: dict) -> str:
    return f"{name}-{report['from']}-to-{report['to']}.csv"
