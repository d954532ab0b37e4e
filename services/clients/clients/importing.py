"""Bulk import of clients and contacts from CSV: upload, preview, import (in the call or in the
background), progress.

- A file is uploaded in pieces: `create_import` makes a job in status `uploading`, the pieces
  are stored in order (`append_import_chunk`, see import_uploads.py), then `preview_upload` (as
  often as the mapping changes) and `start_upload`. Small files may also be sent whole to
  `preview_import` / `start_import` (the JSON text in one RPC message).
- `preview_*` reads the whole file once without keeping anything: columns, the mapping used (the
  caller's or the suggested one), missing required fields, the first rows as mapped, and the rows
  that fail validation.
- `start_*` validates the file's shape and counts its rows, then imports files of up to SYNC_ROWS
  rows inside the call; larger ones become `queued` jobs that the service runs in the background
  (`run_job`), committing every BATCH rows with the job's progress (`processed`/`total`,
  `created`, `updated`, `unchanged`, `errors`). A job that fails is marked `failed` with the
  reason. The process running a job renews its lease (`heartbeat_at`); a running job whose lease
  ran out lost its process (killed, stopped) and is marked failed by the next sweep of any
  clients process (`fail_interrupted`), never left `running` (re-importing the file is safe).
  The file's pieces and the job's keys are deleted when the job ends.
- Memory does not grow with the file: it is read back one stored piece at a time, parsed as a
  stream of lines, validated and written BATCH rows at a time, and the keys seen so far (to find
  repeats within the file) are kept in the database, not in a set.
- Bad rows are reported as `{"line": n, "reason": "..."}` (physical line in the file) and
  skipped; good rows are imported. At most MAX_ERRORS are kept on the job; `error_count` counts all.
- Re-importing is idempotent: contacts match by e-mail, clients by name (case-insensitive, among
  non-archived clients). A matched row is UPDATED with the file's non-empty cells (an empty cell
  keeps the stored value; a row that changes nothing counts as `unchanged`); the same e-mail or
  client name twice in one file is an error on the later line.
- A contacts file names clients by name (`client` column). An unknown name creates the client
  (a `client_created` event), within the plan's client limit: past it, the row is refused. A row
  without a client keeps an existing contact's client, or uses the agency's only client.
- Clients files respect the plan limit too: new clients past it are refused row by row.
- A clients file may name account managers by their team e-mail (`account_managers`, `;` or `,`
  separated; a non-empty cell replaces the client's managers). The team is asked of identity
  once per preview or import (`list_users`), and kept on the job for a background run; an
  e-mail that is not a team member's is an error on its line.
- Writes are batched `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (SQLAlchemy core) and the
  batch's events go to the outbox in one multi-row insert, in the same transaction.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from clients import csvfile
from clients import fields as custom_fields
from clients import import_uploads as uploads
from clients.common import Identity, clean_tags, clean_text, iso, parse_id
from clients.companies import clean_name, clean_website
from clients.contacts import clean_email, clean_person_name, clean_phone
from clients.import_uploads import ChunkSource
from clients.import_writers import ClientWriter, ContactWriter
from clients.models import ImportJob
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, DomainError, NotFound, ValidationError

log = logging.getLogger(__name__)

SYNC_ROWS = 500
BATCH = 1000
MAX_ERRORS = 1000
PREVIEW_ROWS = 10


def job_to_dict(job: ImportJob) -> dict:
    return {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status,
        "filename": job.filename,
        "size": job.upload_bytes,
        "total": job.total,
        "processed": job.processed,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "error_count": job.error_count,
        "errors": list(job.errors or []),
        "failure": job.failure,
        "created_by": job.created_by,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
    }


# Validating one row ------------------------------------------------------------------------------


def clean_contact_row(values: dict) -> dict:
    return {
        "name": clean_person_name(values.get("name")),
        "email": clean_email(values.get("email")),
        "client": clean_name(values["client"]) if values.get("client") else "",
        "position": clean_text(values.get("position"), "position", 200),
        "phone": clean_phone(values.get("phone")),
        "tags": clean_tags(values.get("tags")),
    }


def team_emails(identity: Identity, ctx: Context, mapping: dict) -> dict[str, str]:
    """{lower-case e-mail: user id} of the team when the mapping uses account managers (one
    identity call for the whole file), else {}."""
    if "account_managers" not in mapping.values():
        return {}
    return {u["email"].lower(): str(u["id"]) for u in identity.list_users(ctx.to_dict())}


def clean_account_managers(value: str | None, team: dict[str, str]) -> list[str]:
    """User ids for a cell of team e-mails; an unknown one refuses the row."""
    ids = []
    for email in (value or "").replace(";", ",").split(","):
        email = email.strip()
        if not email:
            continue
        if email.lower() not in team:
            raise DomainError(f"account manager {email} is not a member of your team")
        ids.append(team[email.lower()])
    return list(dict.fromkeys(ids))


def clean_client_row(values: dict, definitions: dict, team: dict[str, str]) -> dict:
    status = (values.get("status") or "").lower()
    if status not in ("", "active", "inactive"):
        raise DomainError(f"status {values['status']!r} is not active or inactive")
    custom = {}
    for key, value in values.items():
        if key.startswith("custom:") and value:
            custom[key.removeprefix("custom:")] = custom_fields.coerce_value(
                definitions[key.removeprefix("custom:")], value
            )
    return {
        "name": clean_name(values.get("name")),
        "description": clean_text(values.get("description"), "description", 5000),
        "website": clean_website(values.get("website")),
        "address": clean_text(values.get("address"), "address", 1000),
        "tags": clean_tags(values.get("tags")),
        "status": status,
        "custom_fields": custom,
        "account_manager_ids": clean_account_managers(values.get("account_managers"), team),
    }


def checked_batches(
    session: Session,
    kind: str,
    lines: Iterator[str],
    mapping: dict,
    definitions: dict,
    team: dict[str, str],
    keys: tuple[uuid.UUID, uuid.UUID],
    note: Callable[[int, str], None],
) -> Iterator[list[tuple[int, dict]]]:
    """The file's rows, cleaned, BATCH at a time; bad rows and repeats of a key met earlier in the
    file go to `note` (in line order within a batch). `team` = team_emails(); `keys` = (job id,
    agency id) under which the keys met are remembered in the database."""
    key_field = "email" if kind == "contacts" else "name"
    for raw in batches(csvfile.mapped_rows(lines, mapping)):
        errors, good = [], []
        for line, values in raw:
            try:
                row = (
                    clean_contact_row(values)
                    if kind == "contacts"
                    else clean_client_row(values, definitions, team)
                )
            except DomainError as exc:
                errors.append((line, exc.message))
                continue
            good.append((line, row))
        repeats = uploads.first_lines(
            session, *keys, [(row[key_field].lower(), line) for line, row in good]
        )
        kept = []
        for line, row in good:
            if line in repeats:
                errors.append(
                    (line, f"{row[key_field]} is already on line {repeats[line]} of this file")
                )
            else:
                kept.append((line, row))
        for line, reason in sorted(errors):
            note(line, reason)
        yield kept


def batches(rows: Iterator, size: int | None = None) -> Iterator[list]:
    size = size or BATCH
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


# Preview -----------------------------------------------------------------------------------------


def _read_shape(
    session: Session, ctx: Context, kind: str, source: ChunkSource, mapping: dict | None
) -> tuple[list[str], dict, dict]:
    """(header, mapping used, custom field definitions); a file that is no CSV is refused."""
    if kind not in csvfile.KINDS:
        raise ValidationError("kind must be clients or contacts.", {"kind": "invalid"})
    _, header = csvfile.read_header(csvfile.text_lines(source()))
    definitions = custom_fields.field_map(session, ctx.agency) if kind == "clients" else {}
    used = csvfile.resolve_mapping(kind, header, mapping, definitions)
    return header, used, definitions


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
    ctx.require("create_clients")
    source = uploads.memory_source(csvfile.file_bytes(csv_text, csv_base64))
    return _preview(session, ctx, identity, kind, source, mapping)


def preview_upload(
    session: Session, ctx: Context, identity: Identity, job_id: str, mapping: dict | None = None
) -> dict:
    """Preview an uploaded file (again, with another mapping, as often as needed)."""
    ctx.require("create_clients")
    job = _find_job(session, ctx, job_id)
    if job.status != "uploading":
        raise Conflict("This import has already started.")
    source = uploads.chunk_reader(session, job.id)
    return _preview(session, ctx, identity, job.kind, source, mapping)


def discard_upload(session: Session, ctx: Context, job_id: str) -> None:
    """Delete an upload that will not be imported (a preview only); the caller commits."""
    ctx.require("create_clients")
    job = _find_job(session, ctx, job_id, lock=True)
    if job.status != "uploading":
        raise Conflict("This import has already started.")
    session.delete(job)  # its chunks go with it (ON DELETE CASCADE)
    session.flush()


def _preview(
    session: Session,
    ctx: Context,
    identity: Identity,
    kind: str,
    source: ChunkSource,
    mapping: dict | None,
) -> dict:
    header, used, definitions = _read_shape(session, ctx, kind, source, mapping)
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


# Uploading, starting and running -----------------------------------------------------------


def _new_job(ctx: Context, kind: str, status: str, filename: str | None = None) -> ImportJob:
    if kind not in csvfile.KINDS:
        raise ValidationError("kind must be clients or contacts.", {"kind": "invalid"})
    return ImportJob(
        id=uuid.uuid4(),
        agency_id=ctx.agency,
        kind=kind,
        status=status,
        filename=(str(filename).strip()[:255] or None) if filename else None,
        upload_chunks=0,
        upload_bytes=0,
        mapping={},
        team_emails={},
        total=0,
        processed=0,
        created=0,
        updated=0,
        unchanged=0,
        error_count=0,
        errors=[],
        created_by=ctx.principal_id,
        request_id=ctx.request_id,
        created_at=utcnow(),
    )


def create_import(
    session: Session, ctx: Context, kind: str, filename: str | None = None
) -> ImportJob:
    """A job to upload a file into (status `uploading`); the caller commits."""
    ctx.require("create_clients")
    uploads.delete_abandoned(session, ctx.agency)
    job = _new_job(ctx, kind, "uploading", filename)
    session.add(job)
    session.flush()
    return job


def append_import_chunk(
    session: Session, ctx: Context, job_id: str, seq: int, data_base64: str
) -> dict:
    """Store piece `seq` (from 0, in order) of the job's file; the caller commits."""
    ctx.require("create_clients")
    job = _find_job(session, ctx, job_id, lock=True)
    uploads.append_chunk(session, job, seq, data_base64)
    session.flush()
    return {"id": str(job.id), "chunks": job.upload_chunks, "size": job.upload_bytes}


def start_import(
    session: Session,
    ctx: Context,
    identity: Identity,
    client_limit: int | None,
    kind: str,
    csv_text: str | None = None,
    mapping: dict | None = None,
    csv_base64: str | None = None,
) -> ImportJob:
    """Import a file sent whole: now if small, else stored and queued. The caller commits; a job
    left `queued` is for the background runner."""
    ctx.require("create_clients")
    data = csvfile.file_bytes(csv_text, csv_base64)
    job = _new_job(ctx, kind, "uploading")
    _start(session, ctx, identity, job, client_limit, mapping, uploads.memory_source(data))
    session.add(job)
    if job.status == "queued":
        session.flush()
        uploads.store(session, job, data)
    session.flush()
    return job


def start_upload(
    session: Session,
    ctx: Context,
    identity: Identity,
    client_limit: int | None,
    job_id: str,
    mapping: dict | None = None,
) -> ImportJob:
    """Import an uploaded file: now if small, else queued. The caller commits."""
    ctx.require("create_clients")
    job = _find_job(session, ctx, job_id, lock=True)
    if job.status != "uploading":
        raise Conflict("This import has already started.")
    job.request_id = ctx.request_id or job.request_id
    source = uploads.chunk_reader(session, job.id)
    _start(session, ctx, identity, job, client_limit, mapping, source)
    session.flush()
    return job


def _start(
    session: Session,
    ctx: Context,
    identity: Identity,
    job: ImportJob,
    client_limit: int | None,
    mapping: dict | None,
    source: ChunkSource,
) -> None:
    _, used, definitions = _read_shape(session, ctx, job.kind, source, mapping)
    csvfile.require_fields(job.kind, used)
    # Reads the whole file: refuses one whose quoting or encoding breaks further down.
    total = csvfile.count_rows(csvfile.text_lines(source()))
    job.mapping, job.client_limit, job.total, job.status = used, client_limit, total, "queued"
    job.team_emails = team_emails(identity, ctx, used)
    if total <= SYNC_ROWS:
        job.status = "running"
        session.add(job)
        session.flush()
        import_file(session, ctx, job, source, definitions)
        finish(session, job)


def finish(session: Session, job: ImportJob) -> None:
    job.status, job.finished_at = "done", utcnow()
    uploads.discard(session, job.id)


def import_file(
    session: Session,
    ctx: Context,
    job: ImportJob,
    source: ChunkSource,
    definitions: dict,
    after_batch: Callable[[], None] | None = None,
) -> None:
    """Import every row of the file into the job's agency, updating the job's counters."""

    def note(line: int, reason: str) -> None:
        job.error_count += 1
        job.processed += 1
        if len(job.errors) < MAX_ERRORS:
            job.errors = [*job.errors, {"line": line, "reason": reason}]

    writer_class = ContactWriter if job.kind == "contacts" else ClientWriter
    writer = writer_class(session, ctx, job, note)
    lines = csvfile.text_lines(source())
    keys = (job.id, job.agency_id)
    team = dict(job.team_emails or {})
    batched = checked_batches(session, job.kind, lines, job.mapping, definitions, team, keys, note)
    for batch in batched:
        if batch:
            writer.write(batch)
            job.processed += len(batch) - writer.refused
        if after_batch:
            after_batch()


def _find_job(session: Session, ctx: Context, job_id: str, lock: bool = False) -> ImportJob:
    query = select(ImportJob).where(
        ImportJob.agency_id == ctx.agency, ImportJob.id == parse_id(job_id, "import")
    )
    job = session.scalar(query.with_for_update() if lock else query)
    if job is None:
        raise NotFound("No such import.")
    return job


def get_import(session: Session, ctx: Context, job_id: str) -> dict:
    ctx.require("create_clients")
    return job_to_dict(_find_job(session, ctx, job_id))


def list_imports(session: Session, ctx: Context, limit: int = 20) -> list[dict]:
    ctx.require("create_clients")
    rows = session.scalars(
        select(ImportJob)
        .where(ImportJob.agency_id == ctx.agency, ImportJob.status != "uploading")
        .order_by(ImportJob.created_at.desc())
        .limit(min(max(int(limit), 1), 100))
    )
    return [job_to_dict(j) for j in rows]


def job_context(job: ImportJob) -> Context:
    return Context(
        agency_id=str(job.agency_id),
        request_id=job.request_id or uuid.uuid4().hex,
        principal_id=job.created_by,
        kind="system",
    )


def run_job(session: Session, job_id: uuid.UUID, pause: Callable[[], None]) -> None:
    """Run a queued job in the background, committing progress every batch; never loses it."""
    job = session.get(ImportJob, job_id, with_for_update=True)
    if job is None or job.status != "queued":
        session.rollback()
        return
    job.status, job.heartbeat_at = "running", utcnow()
    session.commit()
    try:
        ctx = job_context(job)
        definitions = custom_fields.field_map(session, job.agency_id)

        def commit_progress() -> None:
            session.commit()
            pause()

        import_file(
            session, ctx, job, uploads.chunk_reader(session, job.id), definitions, commit_progress
        )
        finish(session, job)
        session.commit()
    except Exception as exc:
        session.rollback()
        reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        fail(session, job_id, reason[:2000])
        if not isinstance(exc, DomainError):
            raise


def fail(session: Session, job_id: uuid.UUID, reason: str) -> None:
    job = session.get(ImportJob, job_id, with_for_update=True)
    job.status, job.failure, job.finished_at = "failed", reason, utcnow()
    uploads.discard(session, job_id)
    session.commit()


def renew_leases(session: Session, job_ids: Iterable[uuid.UUID]) -> None:
    """The jobs this process is running are still alive."""
    ids = list(job_ids)
    if ids:
        session.execute(
            update(ImportJob)
            .where(ImportJob.id.in_(ids), ImportJob.status == "running")
            .values(heartbeat_at=utcnow())
        )
    session.commit()


def fail_interrupted(session: Session, lease: timedelta) -> list[uuid.UUID]:
    """Running jobs whose lease ran out (their process died) fail, with a message that says what
    to do (their file can be imported again safely); queued ones are returned to be run; uploads
    abandoned long ago are deleted."""
    running = session.scalars(
        select(ImportJob)
        .where(
            ImportJob.status == "running",
            or_(ImportJob.heartbeat_at.is_(None), ImportJob.heartbeat_at < utcnow() - lease),
        )
        .with_for_update(skip_locked=True)
    ).all()
    for job in running:
        job.status, job.finished_at = "failed", utcnow()
        uploads.discard(session, job.id)
        job.failure = (
            "The import was interrupted (the service stopped) after "
            f"{job.processed} of {job.total} rows; import the file again to finish "
            "(rows already imported are matched, not duplicated)."
        )
        log.warning("import %s was interrupted after %s rows: failed", job.id, job.processed)
    uploads.delete_abandoned(session)
    queued = session.scalars(select(ImportJob.id).where(ImportJob.status == "queued")).all()
    session.commit()
    return list(queued)
