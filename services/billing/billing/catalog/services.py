"""The agency's service catalog: add, edit, archive and list services (name, description).

A name is unique among the agency's live services, whatever its case; archiving frees it. An
archived service stays on the assignments and invoices that name it but cannot be assigned.
A built-in service (the "Usage" of re-billed usage lines, invoicing.usage_rebilling) is no
part of the catalog: never listed, found or assigned.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from billing.common import may_read_catalog
from billing.models import CatalogService
from kit import permissions, vocabulary
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.ids import parse_field_id, parse_id
from kit.inputs import clean_text, iso, one_of
from kit.paging import page_of

STATUSES = vocabulary.SERVICE_STATUSES


def service_dict(service: CatalogService) -> dict:
    return {
        "id": str(service.id),
        "name": service.name,
        "description": service.description,
        "status": "archived" if service.archived_at else "active",
        "created_at": iso(service.created_at),
        "archived_at": iso(service.archived_at),
    }


def find_service(session: Session, ctx: Context, service_id: Any) -> CatalogService:
    """The agency's service named in a path; another agency's or unknown: NotFound."""
    service = session.get(CatalogService, parse_id(service_id, "service"))
    if service is None or service.agency_id != ctx.agency or service.built_in:
        raise NotFound("No such service.")
    return service


def assignable_service(session: Session, ctx: Context, service_id: Any) -> CatalogService:
    """The agency's live service named in a body field; unknown or archived: a field error."""
    service = session.get(CatalogService, parse_field_id(service_id, "service_id"))
    if service is None or service.agency_id != ctx.agency or service.built_in:
        raise ValidationError("No such service.", {"service_id": "No such service."})
    if service.archived_at is not None:
        raise ValidationError(
            f"{service.name} is archived.", {"service_id": "The service is archived."}
        )
    return service


def _flush_name(session: Session, name: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"A service named {name} exists already.", {"name": "already in the catalog"}
        ) from None


def add_service(session: Session, ctx: Context, name: Any, description: Any = None) -> dict:
    """Add a service to the catalog."""
    ctx.require(permissions.MANAGE_SERVICES)
    service = CatalogService(
        agency_id=ctx.agency,
        name=clean_text(name, "name", 200, required=True),
        description=clean_text(description, "description", 5000),
    )
    session.add(service)
    _flush_name(session, service.name)
    return service_dict(service)


def update_service(session: Session, ctx: Context, service_id: Any, **changes: Any) -> dict:
    """Change a live service's name or description."""
    ctx.require(permissions.MANAGE_SERVICES)
    unknown = set(changes) - {"name", "description"}
    if unknown:
        raise ValidationError(
            f"Cannot change {', '.join(sorted(unknown))}.", dict.fromkeys(unknown, "unknown")
        )
    service = find_service(session, ctx, service_id)
    if service.archived_at is not None:
        raise Conflict("An archived service cannot be changed.")
    if "name" in changes:
        service.name = clean_text(changes["name"], "name", 200, required=True)
    if "description" in changes:
        service.description = clean_text(changes["description"], "description", 5000)
    service.updated_at = utcnow()
    _flush_name(session, service.name)
    return service_dict(service)


def archive_service(session: Session, ctx: Context, service_id: Any) -> dict:
    """Archive a service: it can no longer be assigned; what was assigned goes on (idempotent)."""
    ctx.require(permissions.MANAGE_SERVICES)
    service = find_service(session, ctx, service_id)
    if service.archived_at is None:
        service.archived_at = service.updated_at = utcnow()
    return service_dict(service)


def get_service(session: Session, ctx: Context, service_id: Any) -> dict:
    may_read_catalog(ctx)
    return service_dict(find_service(session, ctx, service_id))


def list_services(
    session: Session,
    ctx: Context,
    status: str | None = "active",
    page: Any = 1,
    per_page: Any = 25,
) -> dict:
    """The catalog by name: `status` active (default), archived, or None for both."""
    may_read_catalog(ctx)
    query = select(CatalogService).where(
        CatalogService.agency_id == ctx.agency, CatalogService.built_in.is_(False)
    )
    if status is not None:
        one_of(status, STATUSES)
        archived = CatalogService.archived_at.is_not(None)
        query = query.where(archived if status == "archived" else ~archived)
    query = query.order_by(func.lower(CatalogService.name), CatalogService.id)
    return page_of(session, query, page, per_page, lambda rows: [service_dict(r[0]) for r in rows])
