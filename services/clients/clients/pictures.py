"""Client logos and contact avatars: JPEG or PNG, checked by content and size, kept as bytea.

The gateway reads the upload and sends its bytes base64-encoded; the file name and the declared
content type are not trusted, the first bytes are. Reads return base64 plus the content type.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clients.models import Picture
from kit.db import utcnow
from kit.errors import NotFound
from kit.images import decode_image


def store_picture(
    session: Session, agency: uuid.UUID, owner_kind: str, owner_id: uuid.UUID, data_base64: str
) -> None:
    data, content_type = decode_image(data_base64, "logo" if owner_kind == "client" else "avatar")
    values = {
        "agency_id": agency,
        "owner_id": owner_id,
        "owner_kind": owner_kind,
        "content_type": content_type,
        "data": data,
        "updated_at": utcnow(),
    }
    statement = insert(Picture).values(values)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Picture.owner_id],
            set_={"content_type": content_type, "data": data, "updated_at": values["updated_at"]},
        )
    )


def remove_picture(session: Session, agency: uuid.UUID, owner_id: uuid.UUID) -> None:
    session.execute(
        delete(Picture).where(Picture.agency_id == agency, Picture.owner_id == owner_id)
    )


def replace_picture(
    session: Session, agency: uuid.UUID, owner_kind: str, owner_id: uuid.UUID, data_base64: Any
) -> None:
    """An edit's logo/avatar: new picture data, or None/"" to remove the picture."""
    if data_base64:
        store_picture(session, agency, owner_kind, owner_id, data_base64)
    else:
        remove_picture(session, agency, owner_id)


def has_picture(session: Session, agency: uuid.UUID, owner_id: uuid.UUID) -> bool:
    found = session.scalar(
        select(Picture.owner_id).where(Picture.agency_id == agency, Picture.owner_id == owner_id)
    )
    return found is not None


def owners_with_pictures(session: Session, agency: uuid.UUID, owner_ids: list) -> set:
    if not owner_ids:
        return set()
    rows = session.scalars(
        select(Picture.owner_id).where(Picture.agency_id == agency, Picture.owner_id.in_(owner_ids))
    )
    return set(rows)


def read_picture(session: Session, agency: uuid.UUID, owner_id: uuid.UUID, what: str) -> dict:
    picture = session.scalar(
        select(Picture).where(Picture.agency_id == agency, Picture.owner_id == owner_id)
    )
    if picture is None:
        raise NotFound(f"This {what} has no picture.")
    return {
        "content_type": picture.content_type,
        "data_base64": base64.b64encode(picture.data).decode("ascii"),
        "updated_at": picture.updated_at.isoformat(),
    }
