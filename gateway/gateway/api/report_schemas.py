"""Schemas of /api/v1/reports: the query every report takes and what each answers."""

from __future__ import annotations

from marshmallow import fields

from gateway.api.schema_fields import Id, IsoDate, Length, OneOf, Schema
from gateway.api.schemas import Money
from kit.vocabulary import DASHBOARD_WIDGETS, REVENUE_GROUPS


class ReportQuery(Schema):
    date_from = IsoDate(
        data_key="from", metadata={"description": "First day (the agency's), default: the month's"}
    )
    date_to = IsoDate(data_key="to", metadata={"description": "Last day, default: today"})
    client_id = Id(metadata={"description": "Only this client"})
    currency = fields.Str(validate=Length(equal=3), metadata={"example": "USD"})
    sort = fields.Str(
        validate=Length(max=40),
        metadata={"description": "A column key; a leading '-' sorts descending"},
    )


class RevenueQuery(ReportQuery):
    group = fields.Str(validate=OneOf(list(REVENUE_GROUPS)), load_default="client")


class ReportScope(Schema):
    date_from = fields.Str(data_key="from")
    date_to = fields.Str(data_key="to")
    client_id = fields.Str(allow_none=True)
    currency = fields.Str()


class Kpis(Schema):
    revenue = fields.Nested(Money, metadata={"description": "Paid less refunded in the period"})
    issued = fields.Nested(Money)
    outstanding = fields.Nested(Money, metadata={"description": "Open now, issued by `to`"})
    failed = fields.Nested(Money)
    mrr = fields.Nested(Money, metadata={"description": "Monthly recurring revenue on `to`"})
    active_clients = fields.Int()
    new_clients = fields.Int()
    usage = fields.Nested(Money)
    agency_balance = fields.Nested(Money, allow_none=True)


class MonthRevenue(Schema):
    month = fields.Str(metadata={"example": "2026-01"})
    paid = fields.Nested(Money)
    open = fields.Nested(Money)
    failed = fields.Nested(Money)


class MonthClients(Schema):
    month = fields.Str()
    new = fields.Int()
    archived = fields.Int()
    active = fields.Int()
    inactive = fields.Int()
    archived_total = fields.Int()


class ServiceRevenue(Schema):
    service_id = fields.Str()
    service_name = fields.Str()
    revenue = fields.Nested(Money)


class Dashboard(ReportScope):
    kpis = fields.Nested(Kpis)
    revenue_by_month = fields.List(fields.Nested(MonthRevenue))
    client_growth = fields.List(fields.Nested(MonthClients))
    revenue_by_service = fields.List(fields.Nested(ServiceRevenue))


class Report(ReportScope):
    """A report: its rows (columns as the report's CSV header says), totals and sort."""

    group = fields.Str(metadata={"description": "revenue only: client, service or month"})
    buckets = fields.List(fields.Str(), metadata={"description": "aging only"})
    rows = fields.List(fields.Dict())
    totals = fields.Dict()
    sort = fields.Str()
    agency_balance = fields.Nested(Money, allow_none=True)


class Widget(Schema):
    id = fields.Str(required=True, validate=OneOf(list(DASHBOARD_WIDGETS)))
    visible = fields.Bool(load_default=True)


class LayoutRequest(Schema):
    widgets = fields.List(fields.Nested(Widget), required=True)


class Layout(Schema):
    widgets = fields.List(fields.Nested(Widget))
    saved = fields.Bool(metadata={"description": "false: the default layout"})
