"""Bulk import of clients and contacts from CSV: preview, import (in the call or in the
background), progress.

- `preview_import` reads the whole file once without writing: columns, the mapping used (the
  caller's or the suggested one), missing required fields, the first rows as mapped, and the rows
  that fail validation.
- `start_import` validates the file's shape, then imports files of up to SYNC_ROWS rows inside the
  call; larger files are stored on an `import_jobs` row (status `queued`) that the service runs in
  the background (`run_job`), committing every BATCH rows with the job's progress
  (`processed`/`total`, `created`, `updated`, `unchanged`, `errors`). A job that fails is marked
  `failed` with the reason; one interrupted by a restart is marked failed when the service starts
  (re-importing the file is safe).
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
- Writes are batched `INSERT ... ON CONFLICT DO UPDATE ... RETURNING` (SQLAlchemy core) and the
  batch's events go to the outbox in one multi-row insert, in the same transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients import csvfile
from clients import fields as custom_fields
from clients.common import clean_tags, clean_text, iso, parse_id
from clients.companies import clean_name, clean_website
from clients.contacts import clean_email, clean_person_name, clean_phone
from clients.import_writers import ClientWriter, ContactWriter
from clients.models import ImportJob
from kit.context import Context
from kit.db import utcnow
from kit.errors import DomainError, NotFound

SYNC_ROWS = 500
BATCH = 1000
MAX_ERRORS = 1000
PREVIEW_ROWS = 10


def job_to_dict(job: ImportJob) -> dict:
    return {
        "id": str(job.id),
        "kind": job.kind,
        "status": job.status,
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


def clean_client_row(values: dict, definitions: dict) -> dict:
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
    }


def validated_rows(
    kind: str, text: str, mapping: dict, definitions: dict, errors: Callable[[int, str], None]
) -> Iterator[tuple[int, dict]]:
    """Clean rows; bad ones and repeats of a key already seen in the file go to `errors`."""
    seen: dict[str, int] = {}  # one small key per row: the one thing that grows with the file
    key_field = "email" if kind == "contacts" else "name"
    for line, values in csvfile.mapped_rows(text, mapping):
        try:
            row = (
                clean_contact_row(values)
                if kind == "contacts"
                else clean_client_row(values, definitions)
            )
        except DomainError as exc:
            errors(line, exc.message)
            continue
        key = row[key_field].lower()
        if key in seen:
            errors(line, f"{row[key_field]} is already on line {seen[key]} of this file")
            continue
        seen[key] = line
        yield line, row


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


def _prepare(session: Session, ctx: Context, kind, csv_text, csv_base64, mapping):
    text = csvfile.decode(csv_text, csv_base64)
    definitions = custom_fields.field_map(session, ctx.agency) if kind == "clients" else {}
    _, header = csvfile.read_header(text)
    used = csvfile.resolve_mapping(kind, header, mapping, definitions)
    return text, header, used, definitions


def preview_import(
    session: Session,
    ctx: Context,
    kind: str,
    csv_text: str | None = None,
    mapping: dict | None = None,
    csv_base64: str | None = None,
) -> dict:
    ctx.require("create_clients")
    text, header, used, definitions = _prepare(session, ctx, kind, csv_text, csv_base64, mapping)
    missing = csvfile.missing_fields(kind, used)
    errors: list[dict] = []
    error_count = 0

    def note(line: int, reason: str) -> None:
        nonlocal error_count
        error_count += 1
        if len(errors) < MAX_ERRORS:
            errors.append({"line": line, "reason": reason})

    first_rows = []
    total = 0
    if not missing:
        for line, row in validated_rows(kind, text, used, definitions, note):
            if len(first_rows) < PREVIEW_ROWS:
                first_rows.append({"line": line, "values": row})
    total = csvfile.count_rows(text)
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


# Starting and running ----------------------------------------------------------------------


def start_import(
    session: Session,
    ctx: Context,
    client_limit: int | None,
    kind: str,
    csv_text: str | None = None,
    mapping: dict | None = None,
    csv_base64: str | None = None,
) -> ImportJob:
    """Check the file, create the job; import it now if small. The caller commits; a job left
    `queued` is for the background runner."""
    ctx.require("create_clients")
    text, _, used, definitions = _prepare(session, ctx, kind, csv_text, csv_base64, mapping)
    csvfile.require_fields(kind, used)
    total = csvfile.count_rows(text)  # also refuses a file whose quoting breaks further down
    job = ImportJob(
        id=uuid.uuid4(),
        agency_id=ctx.agency,
        kind=kind,
        status="queued",
        mapping=used,
        client_limit=client_limit,
        total=total,
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
    session.add(job)
    if total <= SYNC_ROWS:
        job.status = "running"
        import_file(session, ctx, job, text, definitions)
        finish(job)
    else:
        job.source = text
    session.flush()
    return job


def finish(job: ImportJob) -> None:
    job.status, job.finished_at, job.source = "done", utcnow(), None


def import_file(
    session: Session,
    ctx: Context,
    job: ImportJob,
    text: str,
    definitions: dict,
    after_batch: Callable[[], None] | None = None,
) -> None:
    """Import every row of `text` into the job's agency, updating the job's counters."""

    def note(line: int, reason: str) -> None:
        job.error_count += 1
        job.processed += 1
        if len(job.errors) < MAX_ERRORS:
            job.errors = [*job.errors, {"line": line, "reason": reason}]

    writer_class = ContactWriter if job.kind == "contacts" else ClientWriter
    writer = writer_class(session, ctx, job, note)
    for batch in batches(validated_rows(job.kind, text, job.mapping, definitions, note)):
        writer.write(batch)
        job.processed += len(batch) - writer.refused
        if after_batch:
            after_batch()


def get_import(session: Session, ctx: Context, job_id: str) -> dict:
    ctx.require("create_clients")
    job = session.scalar(
        select(ImportJob).where(
            ImportJob.agency_id == ctx.agency, ImportJob.id == parse_id(job_id, "import")
        )
    )
    if job is None:
        raise NotFound("No such import.")
    return job_to_dict(job)


def list_imports(session: Session, ctx: Context, limit: int = 20) -> list[dict]:
    ctx.require("create_clients")
    rows = session.scalars(
        select(ImportJob)
        .where(ImportJob.agency_id == ctx.agency)
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
    job.status = "running"
    text, job.source = job.source, None  # one copy in memory, none kept in the row
    session.commit()
    try:
        ctx = job_context(job)
        definitions = custom_fields.field_map(session, job.agency_id)

        def commit_progress() -> None:
            session.commit()
            pause()

        import_file(session, ctx, job, text, definitions, commit_progress)
        finish(job)
        session.commit()
    except Exception as exc:
        session.rollback()
        reason = exc.message if isinstance(exc, DomainError) else f"{type(exc).__name__}: {exc}"
        fail(session, job_id, reason[:2000])
        if not isinstance(exc, DomainError):
            raise


def fail(session: Session, job_id: uuid.UUID, reason: str) -> None:
    job = session.get(ImportJob, job_id, with_for_update=True)
    job.status, job.failure, job.finished_at, job.source = "failed", reason, utcnow(), None
    session.commit()


def fail_interrupted(session: Session) -> list[uuid.UUID]:
    """Jobs a stopped service left running fail (their file can be imported again safely);
    queued ones are returned to be run."""
    running = session.scalars(
        select(ImportJob).where(ImportJob.status == "running").with_for_update(skip_locked=True)
    ).all()
    for job in running:
        job.status, job.finished_at, job.source = "failed", utcnow(), None
        job.failure = (
            "The import was interrupted by a restart after "
            f"{job.processed} of {job.total} rows; import the file again to finish "
            "(rows already imported are matched, not duplicated)."
        )
    queued = session.scalars(select(ImportJob.id).where(ImportJob.status == "queued")).all()
    session.commit()
    return list(queued)
