"""Services available per client: which catalog services a client's contacts may ask for.

Until the agency chooses for a client, its available services are the live services assigned to
it (any assignment not ended). Once chosen (`set_client_services`), exactly the chosen live
services; an empty choice offers none. The portal lists its own client's.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from billing.catalog.services import assignable_service, service_dict
from billing.common import may_read_catalog
from billing.facts.agencies import agency_today
from billing.facts.clients import find_client
from billing.models import Assignment, CatalogService, ClientFact, ClientService
from kit import permissions
from kit.context import PORTAL, Context
from kit.errors import PermissionDenied, ValidationError


def _available(session: Session, ctx: Context, client: ClientFact) -> dict:
    live = CatalogService.archived_at.is_(None)
    if client.services_chosen:
        chosen = select(ClientService.service_id).where(ClientService.client_id == client.client_id)
        query = select(CatalogService).where(CatalogService.id.in_(chosen), live)
    else:
        today = agency_today(session, ctx)
        assigned = select(Assignment.service_id).where(
            Assignment.client_id == client.client_id,
            or_(Assignment.end_date.is_(None), Assignment.end_date >= today),
        )
        query = select(CatalogService).where(CatalogService.id.in_(assigned), live)
    services = session.scalars(query.order_by(func.lower(CatalogService.name)))
    return {
        "client_id": str(client.client_id),
        "chosen": client.services_chosen,
        "items": [service_dict(service) for service in services],
    }


def list_client_services(session: Session, ctx: Context, client_id: Any) -> dict:
    """`{"client_id", "chosen", "items": [service]}`: the client's available services."""
    may_read_catalog(ctx)
    return _available(session, ctx, find_client(session, ctx, client_id))


def set_client_services(session: Session, ctx: Context, client_id: Any, service_ids: Any) -> dict:
    """Choose exactly which live services the client's contacts may ask for."""
    ctx.require(permissions.MANAGE_SERVICES)
    client = find_client(session, ctx, client_id)
    if not isinstance(service_ids, list | tuple):
        raise ValidationError("service_ids is a list of ids.", {"service_ids": "not a list"})
    services = {assignable_service(session, ctx, service_id).id for service_id in service_ids}
    session.execute(delete(ClientService).where(ClientService.client_id == client.client_id))
    session.add_all(
        ClientService(agency_id=ctx.agency, client_id=client.client_id, service_id=service_id)
        for service_id in services
    )
    client.services_chosen = True
    session.flush()
    return _available(session, ctx, client)


def portal_list_services(session: Session, ctx: Context) -> dict:
    """The portal contact's own client's available services."""
    if ctx.kind != PORTAL or not ctx.client_id:
        raise PermissionDenied("only a client portal login can do this")
    return _available(session, ctx, find_client(session, ctx, ctx.client_id))
