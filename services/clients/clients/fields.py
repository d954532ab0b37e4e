"""Custom fields (defined once per agency, filled per client) and the agency's client tags.

A definition has a type: `text`, `number`, `date` (ISO `YYYY-MM-DD`) or `choice` (one of its
`choices`). A client's values are kept as `{field_id: value}` in its JSONB `custom_fields`;
numbers are stored as JSON numbers, dates as ISO strings. Deleting a definition removes its values.
Managing definitions and tags needs `manage_client_organizations`; reading them `view_clients`.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clients.models import Client, Contact, CustomFieldDefinition
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, ValidationError
from kit.ids import parse_id
from kit.inputs import clean_text
from kit.permissions import MANAGE_CLIENT_ORGANIZATIONS, VIEW_CLIENTS
from kit.validation import FIX_FIELDS, FieldErrors, choose_one
from kit.vocabulary import FIELD_TYPES


def field_dict(field: CustomFieldDefinition) -> dict:
    return {
        "id": str(field.id),
        "name": field.name,
        "type": field.field_type,
        "choices": list(field.choices or []),
        "required": bool(field.required),
        "created_at": field.created_at.isoformat(),
    }


def _clean_choices(field_type: str, choices: Any) -> list[str]:
    if field_type != "choice":
        return []
    if not isinstance(choices, list | tuple) or not choices:
        raise ValidationError(
            "A choice field needs its choices.", {"choices": "Enter the choices."}
        )
    cleaned = [clean_text(c, "choices", 100, required=True) for c in choices]
    if len({c.lower() for c in cleaned}) != len(cleaned):
        raise ValidationError("Choices must differ.", {"choices": "Make each choice different."})
    return cleaned


def define_field(
    session: Session,
    ctx: Context,
    name: str,
    field_type: str,
    choices: list | None = None,
    required: bool = False,
) -> dict:
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    name = clean_text(name, "name", 100, required=True)
    if field_type not in FIELD_TYPES:
        raise ValidationError(
            f"type must be one of {', '.join(FIELD_TYPES)}.", {"type": choose_one(FIELD_TYPES)}
        )
    field = CustomFieldDefinition(
        agency_id=ctx.agency,
        name=name,
        field_type=field_type,
        choices=_clean_choices(field_type, choices),
        required=_clean_required(required),
    )
    try:
        with session.begin_nested():
            session.add(field)
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"A custom field named {name!r} exists.", {"name": "This name is already used."}
        ) from None
    return field_dict(field)


def list_fields(session: Session, ctx: Context) -> list[dict]:
    ctx.require(VIEW_CLIENTS)
    rows = session.scalars(
        select(CustomFieldDefinition)
        .where(CustomFieldDefinition.agency_id == ctx.agency)
        .order_by(CustomFieldDefinition.created_at)
    )
    return [field_dict(f) for f in rows]


def get_field(session: Session, agency: uuid.UUID, field_id: Any) -> CustomFieldDefinition:
    field = session.scalar(
        select(CustomFieldDefinition).where(
            CustomFieldDefinition.agency_id == agency,
            CustomFieldDefinition.id == parse_id(field_id, "custom field"),
        )
    )
    if field is None:
        raise NotFound("No such custom field.")
    return field


def _clean_required(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValidationError("required must be true or false.", {"required": "Use true or false."})
    return value


def update_field(
    session: Session,
    ctx: Context,
    field_id: str,
    name: str | None = None,
    choices=None,
    required: bool | None = None,
) -> dict:
    """Rename a field, change a choice field's choices or whether it is required (the type never
    changes). Making a field required does not touch existing clients: they are asked for the
    value the next time their custom fields are edited."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    field = get_field(session, ctx.agency, field_id)
    errors = FieldErrors()
    new_name = errors.check(clean_text, name, "name", 100, required=True) if name else None
    if name is not None and not name:
        errors.fields["name"] = "Enter a name."
    new_choices = (
        errors.check(_clean_choices, field.field_type, choices) if choices is not None else None
    )
    new_required = errors.check(_clean_required, required) if required is not None else None
    errors.raise_if_any()
    if new_name is not None:
        field.name = new_name
    if new_choices is not None:
        field.choices = new_choices
    if new_required is not None:
        field.required = new_required
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise Conflict(
            f"A custom field named {name!r} exists.", {"name": "This name is already used."}
        ) from None
    return field_dict(field)


def delete_field(session: Session, ctx: Context, field_id: str) -> None:
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    field = get_field(session, ctx.agency, field_id)
    key = str(field.id)
    session.execute(
        update(Client)
        .where(Client.agency_id == ctx.agency, Client.custom_fields.has_key(key))
        .values(custom_fields=Client.custom_fields.op("-")(key))
    )
    session.delete(field)


def field_map(session: Session, agency: uuid.UUID) -> dict[str, CustomFieldDefinition]:
    rows = session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.agency_id == agency)
    )
    return {str(f.id): f for f in rows}


def coerce_value(field: CustomFieldDefinition, value: Any) -> Any:
    """The stored form of a value for `field`; None means "remove the value"."""
    label = f"custom_fields.{field.id}"
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field.field_type == "text":
        return clean_text(value, label, 2000)
    if field.field_type == "number":
        try:
            number = float(value) if not isinstance(value, bool) else None
        except (TypeError, ValueError):
            number = None
        if number is None or number != number or number in (float("inf"), float("-inf")):
            raise ValidationError(f"{field.name} must be a number.", {label: "Enter a number."})
        return int(number) if number.is_integer() else number
    if field.field_type == "date":
        try:
            return date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError(
                f"{field.name} must be a date like 2025-01-31.",
                {label: "Enter a date like 2025-01-31."},
            ) from None
    text = str(value).strip()
    for choice in field.choices:
        if choice.lower() == text.lower():
            return choice
    raise ValidationError(
        f"{field.name} must be one of: {', '.join(field.choices)}.",
        {label: choose_one(field.choices)},
    )


def clean_values(
    session: Session,
    agency: uuid.UUID,
    values: Any,
    current: dict | None = None,
    *,
    creating: bool = False,
) -> dict:
    """Merge `values` ({field_id: value}) into `current`; unknown ids are refused. A required
    field must have a value when a client is created, and whenever its fields are edited."""
    if values is None and not creating:
        return dict(current or {})
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValidationError(
            "custom_fields must map field ids to values.",
            {"custom_fields": "Map field ids to values."},
        )
    fields = field_map(session, agency)
    merged = dict(current or {})
    for field_id, value in values.items():
        field = fields.get(str(field_id))
        if field is None:
            raise ValidationError(
                "Unknown custom field.", {f"custom_fields.{field_id}": "unknown field"}
            )
        stored = coerce_value(field, value)
        if stored is None:
            merged.pop(str(field_id), None)
        else:
            merged[str(field_id)] = stored
    missing = {
        f"custom_fields.{field_id}": f"{field.name} is required."
        for field_id, field in fields.items()
        if field.required and field_id not in merged
    }
    if missing:
        raise ValidationError(FIX_FIELDS, missing)
    return merged


# Tags -------------------------------------------------------------------------------------------


def list_tags(session: Session, ctx: Context) -> list[dict]:
    """Every tag on the agency's non-archived clients and contacts, with how many clients and
    how many contacts carry it."""
    ctx.require(VIEW_CLIENTS)
    counts: dict[str, dict] = {}
    for model, key in ((Client, "client_count"), (Contact, "contact_count")):
        tag = func.unnest(model.tags).label("tag")
        inner = (
            select(tag).where(model.agency_id == ctx.agency, model.archived_at.is_(None)).subquery()
        )
        for name, count in session.execute(select(inner.c.tag, func.count()).group_by(inner.c.tag)):
            counts.setdefault(name, {"name": name, "client_count": 0, "contact_count": 0})
            counts[name][key] = count
    return [counts[name] for name in sorted(counts)]


def rename_tag(session: Session, ctx: Context, old: str, new: str) -> int:
    """Rename a tag on every client (archived ones too); returns how many clients changed."""
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    old = clean_text(old, "old", 60, required=True)
    new = " ".join(clean_text(new, "new", 60, required=True).split())
    rows = session.scalars(
        select(Client).where(Client.agency_id == ctx.agency, Client.tags.contains([old]))
    ).all()
    for client in rows:
        tags = [new if t == old else t for t in client.tags]
        client.tags = list(dict.fromkeys(tags))
        client.updated_at = utcnow()
    return len(rows)


def delete_tag(session: Session, ctx: Context, name: str) -> int:
    ctx.require(MANAGE_CLIENT_ORGANIZATIONS)
    result = session.execute(
        update(Client)
        .where(Client.agency_id == ctx.agency, Client.tags.contains([name]))
        .values(tags=func.array_remove(Client.tags, name), updated_at=utcnow())
    )
    return result.rowcount
