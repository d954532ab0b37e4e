"""Previewing an import file: its columns, the mapping, the first rows as mapped and the rows
that fail, without keeping anything."""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from clients.common import Identity
from clients.imports import csvfile, uploads
from clients.imports.jobs import find_job
from clients.imports.rows import MAX_ERRORS, checked_batches, read_shape, team_emails
from clients.imports.uploads import ChunkSource
from kit.context import Context
from kit.errors import Conflict
from kit.permissions import CREATE_CLIENTS

PREVIEW_ROWS = 10


def preview_import(
    session: Session,
    ctx: Context,
    identity: Identity,
    kind: str,
    csv_text: str | None = None,
    mapping: dict | None = None,
    csv_base64: str | None = None,
) -> dict:
    """Preview a file sent whole."""
    ctx.require(CREATE_CLIENTS)
    source = uploads.memory_source(csvfile.file_bytes(csv_text, csv_base64))
    return _preview(session, ctx, identity, kind, source, mapping)


def preview_upload(
    session: Session, ctx: Context, identity: Identity, job_id: str, mapping: dict | None = None
) -> dict:
    """Preview an uploaded file (again, with another mapping, as often as needed)."""
    ctx.require(CREATE_CLIENTS)
    job = find_job(session, ctx, job_id)
    if job.status != "uploading":
        raise Conflict("This import has already started.")
    source = uploads.chunk_reader(session, job.id)
    return _preview(session, ctx, identity, job.kind, source, mapping)


def _preview(
    session: Session,
    ctx: Context,
    identity: Identity,
    kind: str,
    source: ChunkSource,
    mapping: dict | None,
) -> dict:
    header, used, definitions = read_shape(session, ctx, kind, source, mapping)
    missing = csvfile.missing_fields(kind, used)
    errors: list[dict] = []
    error_count = 0

    def note(line: int, reason: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_ERRORS:
            errors.append({"line": line, "reason": reason})

    first_rows = []
    if missing:
        total = csvfile.count_rows(csvfile.text_lines(source()))
    else:
        total = 0
        # The keys met go to the database like an import's, in a savepoint rolled back after.
        savepoint = session.begin_nested()
        try:
            keys = (uuid.uuid4(), ctx.agency)
            lines = csvfile.text_lines(source())
            team = team_emails(identity, ctx, used)
            batched = checked_batches(session, kind, lines, used, definitions, team, keys, note)
            for batch in batched:
                for line, row in batch[: PREVIEW_ROWS - len(first_rows)]:
                    first_rows.append({"line": line, "values": row})
            total = csvfile.count_rows(csvfile.text_lines(source()))
        finally:
            savepoint.rollback()
    return {
        "kind": kind,
        "columns": header,
        "mapping": used,
        "suggested_mapping": csvfile.suggest_mapping(kind, header, definitions),
        "fields": csvfile.field_list(kind, definitions),
        "missing_fields": missing,
        "total_rows": total,
        "rows": first_rows,
        "errors": errors,
        "error_count": error_count,
    }
