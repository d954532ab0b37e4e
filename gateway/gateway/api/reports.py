"""/api/v1/reports: the dashboard and the reports, each as JSON and as CSV (the same rows and
totals; gateway/report_tables.py), and each user's dashboard layout. `view_reports` is checked
here and again in the reporting service."""

from __future__ import annotations

from flask import Response

from gateway import report_tables
from gateway.api.base import api, json_body, query_args
from gateway.api.report_schemas import LayoutRequest, ReportQuery, RevenueQuery
from gateway.auth import permission_required
from gateway.rpc import services
from kit import permissions

VIEW = permissions.VIEW_REPORTS


def _csv(text: str, name: str) -> Response:
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _dashboard() -> dict:
    args = query_args(ReportQuery)
    args.pop("sort", None)
    return services.reporting.dashboard(**args)


def _report(name: str) -> dict:
    schema = RevenueQuery() if name == "revenue" else ReportQuery()
    return report_tables.fetch(name, query_args(schema))


@api.get("/reports/dashboard")
@permission_required(VIEW)
def reports_dashboard():
    """The dashboard's figures and charts for a date range and (optionally) one client.
    ---
    get:
      tags: [reports]
      summary: Dashboard figures
      parameters: [{in: query, schema: ReportQuery}]
      responses:
        200: {description: KPIs and chart series, schema: Dashboard}
        404: No such client (client_id)
    """
    return _dashboard()


@api.get("/reports/dashboard.csv")
@permission_required(VIEW)
def reports_dashboard_csv():
    """The dashboard's figures as CSV.
    ---
    get:
      tags: [reports]
      summary: Dashboard figures as CSV
      parameters: [{in: query, schema: ReportQuery}]
      responses:
        200: {description: CSV, content: {text/csv: {schema: {type: string}}}}
        404: No such client (client_id)
    """
    board = _dashboard()
    return _csv(report_tables.dashboard_csv(board), report_tables.filename("dashboard", board))


def _register(name: str, summary: str, query: str) -> None:
    """GET /reports/<name> and /reports/<name>.csv."""

    def as_json():
        return _report(name)

    def as_csv():
        report = _report(name)
        return _csv(report_tables.as_csv(name, report), report_tables.filename(name, report))

    as_json.__doc__ = f"""{summary}.
    ---
    get:
      tags: [reports]
      summary: {summary}
      parameters: [{{in: query, schema: {query}}}]
      responses:
        200: {{description: Rows and totals, schema: Report}}
        404: No such client (client_id)
    """
    as_csv.__doc__ = f"""{summary} as CSV.
    ---
    get:
      tags: [reports]
      summary: {summary} as CSV
      parameters: [{{in: query, schema: {query}}}]
      responses:
        200: {{description: CSV, content: {{text/csv: {{schema: {{type: string}}}}}}}}
        404: No such client (client_id)
    """
    as_json.__name__, as_csv.__name__ = f"report_{name}", f"report_{name}_csv"
    api.get(f"/reports/{name}")(permission_required(VIEW)(as_json))
    api.get(f"/reports/{name}.csv")(permission_required(VIEW)(as_csv))


_register("revenue", "Revenue by client, service or month", "RevenueQuery")
_register("invoices", "Invoices by status", "ReportQuery")
_register("aging", "Open invoices by age (current, 1-30, 31-60, 61-90, 90+ days)", "ReportQuery")
_register("usage", "Usage by client and funding source", "ReportQuery")
_register("clients", "Client growth by month", "ReportQuery")


@api.get("/reports/dashboard/layout")
@permission_required(VIEW)
def get_dashboard_layout():
    """Your dashboard's layout.
    ---
    get:
      tags: [reports]
      summary: Your dashboard layout (widget order and visibility)
      responses:
        200: {description: The layout, schema: Layout}
    """
    return services.reporting.get_layout()


@api.put("/reports/dashboard/layout")
@permission_required(VIEW)
def save_dashboard_layout():
    """Keep your dashboard's layout.
    ---
    put:
      tags: [reports]
      summary: Save your dashboard layout
      requestBody: LayoutRequest
      responses:
        200: {description: The layout kept, schema: Layout}
    """
    return services.reporting.save_layout(**json_body(LayoutRequest))


@api.delete("/reports/dashboard/layout")
@permission_required(VIEW)
def reset_dashboard_layout():
    """Back to the default layout.
    ---
    delete:
      tags: [reports]
      summary: Reset your dashboard layout
      responses:
        200: {description: The default layout, schema: Layout}
    """
    return services.reporting.reset_layout()
