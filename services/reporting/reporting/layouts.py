"""Each team member's dashboard layout, kept here keyed by agency and user id (the principal):
the widgets in their order, each shown or hidden. Unknown ids are refused; widgets added to the
product later join the end of a saved layout, shown."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import ValidationError
from kit.vocabulary import DASHBOARD_WIDGETS
from reporting.models import DashboardLayout


def _complete(widgets: list[dict]) -> list[dict]:
    seen = {w["id"] for w in widgets}
    return widgets + [{"id": w, "visible": True} for w in DASHBOARD_WIDGETS if w not in seen]


def get_layout(session: Session, ctx: Context) -> dict:
    ctx.require(permissions.VIEW_REPORTS)
    saved = session.scalar(
        select(DashboardLayout.widgets).where(
            DashboardLayout.agency_id == ctx.agency,
            DashboardLayout.user_id == str(ctx.principal_id),
        )
    )
    widgets = [w for w in saved or [] if w.get("id") in DASHBOARD_WIDGETS]
    return {"widgets": _complete(widgets), "saved": saved is not None}


def clean_widgets(widgets: Any) -> list[dict]:
    message = "widgets must be a list of {id, visible} naming each widget at most once."
    if not isinstance(widgets, list) or len(widgets) > len(DASHBOARD_WIDGETS):
        raise ValidationError(message, {"widgets": message})
    cleaned, seen = [], set()
    for item in widgets:
        if not isinstance(item, dict) or item.get("id") not in DASHBOARD_WIDGETS:
            raise ValidationError(message, {"widgets": f"Unknown widget: {item!r}"[:200]})
        if item["id"] in seen or not isinstance(item.get("visible", True), bool):
            raise ValidationError(message, {"widgets": message})
        seen.add(item["id"])
        cleaned.append({"id": item["id"], "visible": item.get("visible", True)})
    return cleaned


def save_layout(session: Session, ctx: Context, widgets: Any) -> dict:
    ctx.require(permissions.VIEW_REPORTS)
    if not ctx.principal_id:
        raise ValidationError("A layout belongs to a user.", {"widgets": "No user."})
    cleaned = _complete(clean_widgets(widgets))
    statement = insert(DashboardLayout).values(
        agency_id=ctx.agency, user_id=str(ctx.principal_id), widgets=cleaned, updated_at=utcnow()
    )
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["agency_id", "user_id"],
            set_={"widgets": cleaned, "updated_at": utcnow()},
        )
    )
    return {"widgets": cleaned, "saved": True}


def reset_layout(session: Session, ctx: Context) -> dict:
    ctx.require(permissions.VIEW_REPORTS)
    session.execute(
        DashboardLayout.__table__.delete().where(
            DashboardLayout.agency_id == ctx.agency,
            DashboardLayout.user_id == str(ctx.principal_id),
        )
    )
    return {"widgets": _complete([]), "saved": False}
