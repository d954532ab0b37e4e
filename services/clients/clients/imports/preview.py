"""Previewing an import file: its columns, the mapping, the first rows as mapped and the rows
that fail, without keeping anything."""

from __future__ import annotations

import uuid
from collections import Counter

from sqlalchemy.orm import Session

from clients import fields as custom_fields
from clients.common import Identity
from clients.imports import csvfile, uploads
from clients.imports.changes import batch_changes
from clients.imports.jobs import new_job, uploaded_job
from clients.imports.rows import MAX_ERRORS, ask_team, checked_batches, read_shape
from clients.imports.uploads import ChunkSource
from clients.imports.writers import ClientWriter, ContactWriter
from kit.context import Context
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
    client_limit: int | None = None,
    skip_updates: bool = False,
) -> dict:
    """Preview a file sent whole. A flow: the team is asked of identity (`ask_team`) before the
    preview's transaction opens."""
    ctx.require(CREATE_CLIENTS)
    source = uploads.memory_source(csvfile.file_bytes(csv_text, csv_base64))
    team = ask_team(session, ctx, identity, kind, source, mapping)
    with session.begin():
        return _preview(session, ctx, kind, source, mapping, client_limit, skip_updates, team)


def import_template(session: Session, ctx: Context, kind: str) -> str:
    """The CSV template of `kind`: the header row, the agency's custom fields included."""
    ctx.require(CREATE_CLIENTS)
    csvfile.require_kind(kind)
    definitions = custom_fields.field_map(session, ctx.agency) if kind == "clients" else {}
    return csvfile.template(kind, definitions)


def preview_upload(
    session: Session,
    ctx: Context,
    identity: Identity,
    job_id: str,
    mapping: dict | None = None,
    client_limit: int | None = None,
    skip_updates: bool = False,
) -> dict:
    """Preview an uploaded file (again, with another mapping, as often as needed). A flow, as
    `preview_import`."""
    ctx.require(CREATE_CLIENTS)
    job = uploaded_job(session, ctx, job_id)
    source = uploads.chunk_reader(session, job.id)
    team = ask_team(session, ctx, identity, job.kind, source, mapping)
    with session.begin():
        return _preview(session, ctx, job.kind, source, mapping, client_limit, skip_updates, team)


def _preview(
    session: Session,
    ctx: Context,
    kind: str,
    source: ChunkSource,
    mapping: dict | None,
    client_limit: int | None,
    skip_updates: bool,
    team: dict[str, str],
) -> dict:
    """The import itself, written in a savepoint rolled back after: the same checks (a contact
    without a client, the plan's limit) find the same rows, and what the writers count is what
    the import will do. `client_limit` is the plan's, `skip_updates` the choice, `team` the
    team's e-mails (`ask_team`), as for the import."""
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
    # a job that is never added to the session: the writers' counters
    scratch = new_job(ctx, kind, "running")
    scratch.client_limit, scratch.skip_updates = client_limit, bool(skip_updates)
    changes: Counter = Counter()
    total = 0
    if missing:
        total = csvfile.count_rows(csvfile.text_lines(source()))
    else:
        savepoint = session.begin_nested()
        try:
            writer = (ContactWriter if kind == "contacts" else ClientWriter)(
                session, ctx, scratch, note
            )
            keys = (uuid.uuid4(), ctx.agency)
            lines = csvfile.text_lines(source())
            batched = checked_batches(session, kind, lines, used, definitions, team, keys, note)
            for batch in batched:
                for line, row in batch[: PREVIEW_ROWS - len(first_rows)]:
                    first_rows.append({"line": line, "values": _shown(row)})
                if batch and not skip_updates:
                    changes.update(batch_changes(session, ctx.agency, kind, batch))
                if batch:
                    writer.write(batch)
            total = csvfile.count_rows(csvfile.text_lines(source()))
        finally:
            savepoint.rollback()
    labels = {f["name"]: f["label"] for f in csvfile.field_list(kind, definitions)}
    return {
        "kind": kind,
        "columns": header,
        "mapping": used,
        "suggested_mapping": csvfile.suggest_mapping(kind, header, definitions),
        "fields": csvfile.field_list(kind, definitions),
        "missing_fields": missing,
        "total_rows": total,
        "rows": first_rows,
        "errors": sorted(errors, key=lambda error: error["line"]),
        "error_count": error_count,
        "new": scratch.created,
        "updated": scratch.updated,
        "unchanged": scratch.unchanged,
        # how many records each field would change in, by the field's label
        "updated_fields": {labels.get(f, f): n for f, n in changes.most_common()},
    }


def _shown(row: dict) -> dict:
    """A cleaned row as the mapping names its fields (custom fields as `custom:<id>`)."""
    shown = {k: v for k, v in row.items() if k != "custom_fields"}
    shown.update({f"custom:{k}": v for k, v in row.get("custom_fields", {}).items()})
    return shown
