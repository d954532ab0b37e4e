"""Agencies as billing knows them from identity: the time zone that says what "today" is, the
name and brand colour that head its invoices."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.invoicing.periods import today_in
from billing.models import AgencyFact, ClientFact
from kit.context import Context
from kit.db import utcnow

DEFAULT_TIMEZONE = "UTC"  # identity's default for a new agency
UNCHANGED: Any = object()


def remember_agency(
    session: Session,
    agency_id: uuid.UUID,
    *,
    name: str | None = None,
    timezone: str | None = None,
    brand_color: str | None = UNCHANGED,
    as_of: datetime | None = None,
) -> None:
    """Insert or update what billing knows of an agency; None leaves a known name or time zone
    as it is; `brand_color` None clears it (left out: unchanged). `as_of`: when identity said
    it (an event's `occurred_at`; now when left out): what was known from a later moment stays
    (identity's two events reach billing's two handlers in any order, and each says the whole
    agency as it was then)."""
    known = {k: v for k, v in {"name": name, "timezone": timezone}.items() if v is not None}
    if brand_color is not UNCHANGED:
        known["brand_color"] = brand_color or None
    as_of = as_of or utcnow()
    session.execute(
        insert(AgencyFact)
        .values(
            agency_id=agency_id,
            name=name or "",
            timezone=timezone or DEFAULT_TIMEZONE,
            brand_color=known.get("brand_color"),
            updated_at=as_of,
        )
        .on_conflict_do_update(
            index_elements=[AgencyFact.agency_id],
            set_={**known, "updated_at": as_of},
            where=AgencyFact.updated_at <= as_of,
        )
    )


def timezone_of(session: Session, agency_id: uuid.UUID) -> str:
    found = session.scalar(select(AgencyFact.timezone).where(AgencyFact.agency_id == agency_id))
    return found or DEFAULT_TIMEZONE


def agency_today(session: Session, ctx: Context) -> date:
    """Today's date in the caller's agency's time zone."""
    return today_in(timezone_of(session, ctx.agency))


def learn_from_event(session: Session, payload: dict) -> None:
    """Keep an agency's name, time zone and brand colour from identity's `agency_signed_up` or
    `agency_updated` (an event without `branding` leaves the colour as it is)."""
    branding = payload.get("branding")
    remember_agency(
        session,
        uuid.UUID(payload["agency_id"]),
        name=payload.get("agency_name") or payload.get("name"),
        timezone=payload.get("timezone"),
        brand_color=(branding or {}).get("color") if isinstance(branding, dict) else UNCHANGED,
        as_of=datetime.fromisoformat(payload["occurred_at"]) if "occurred_at" in payload else None,
    )


def refresh_agency(session: Session, agency_id: uuid.UUID, get_agency) -> None:
    """Re-read the agency from identity (`get_agency(ctx)`, its RPC)."""
    agency = get_agency(Context.system(str(agency_id)).to_dict())
    with session.begin():
        remember_agency(
            session,
            agency_id,
            name=agency["name"],
            timezone=agency["timezone"],
            brand_color=(agency.get("branding") or {}).get("color"),
        )


def known_agencies(session: Session) -> list[uuid.UUID]:
    """Every agency billing has heard of."""
    with session.begin():
        return list(
            session.scalars(
                select(AgencyFact.agency_id).union(select(ClientFact.agency_id).distinct())
            )
        )
