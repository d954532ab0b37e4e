"""Importing a file: started in the call (up to SYNC_ROWS rows) or queued and run in the
background (`run_job`), committing every batch with the job's progress."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from clients import fields as custom_fields
from clients.common import Identity
from clients.imports import csvfile, uploads
from clients.imports.jobs import fail, job_context, new_job, uploaded_job
from clients.imports.rows import MAX_ERRORS, ask_team, checked_batches, read_shape
from clients.imports.uploads import ChunkSource
from clients.imports.writers import ClientWriter, ContactWriter
from clients.models import ImportJob
from kit.context import Context
from kit.db import short_reason, utcnow
from kit.errors import DomainError
from kit.permissions import CREATE_CLIENTS

log = logging.getLogger(__name__)

SYNC_ROWS = 500


def start_import(
    session: Session,
    ctx: Context,
    identity: Identity,
    client_limit: int | None,
    kind: str,
    csv_text: str | None = None,
    mapping: dict | None = None,
    csv_base64: str | None = None,
    skip_updates: bool = False,
) -> ImportJob:
    """Import a file sent whole: now if small, else stored and queued (committed; a job left
    `queued` is for the background runner). `skip_updates`: new records only. A flow: the team
    is asked of identity (`ask_team`) before the import's transaction opens."""
    ctx.require(CREATE_CLIENTS)
    data = csvfile.file_bytes(csv_text, csv_base64)
    source = uploads.memory_source(data)
    team = ask_team(session, ctx, identity, kind, source, mapping)
    with session.begin():
        job = new_job(ctx, kind, "uploading")
        job.skip_updates = bool(skip_updates)
        _start(session, ctx, job, client_limit, team, mapping, source)
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
    skip_updates: bool = False,
) -> ImportJob:
    """Import an uploaded file: now if small, else queued (committed). `skip_updates`: new
    records only. A flow, as `start_import`."""
    ctx.require(CREATE_CLIENTS)
    job = uploaded_job(session, ctx, job_id)
    source = uploads.chunk_reader(session, job.id)
    team = ask_team(session, ctx, identity, job.kind, source, mapping)
    with session.begin():
        job = uploaded_job(session, ctx, job_id, lock=True)
        job.skip_updates = bool(skip_updates)
        job.request_id = ctx.request_id or job.request_id
        _start(session, ctx, job, client_limit, team, mapping, source)
        session.flush()
    return job


def _start(
    session: Session,
    ctx: Context,
    job: ImportJob,
    client_limit: int | None,
    team: dict[str, str],
    mapping: dict | None,
    source: ChunkSource,
) -> None:
    _, used, definitions = read_shape(session, ctx, job.kind, source, mapping)
    csvfile.require_fields(job.kind, used)
    # Reads the whole file: refuses one whose quoting or encoding breaks further down.
    total = csvfile.count_rows(csvfile.text_lines(source()))
    job.mapping, job.client_limit, job.total, job.status = used, client_limit, total, "queued"
    job.team_emails = team
    if total <= SYNC_ROWS:
        job.status = "running"
        session.add(job)
        session.flush()
        import_file(session, ctx, job, source, definitions)
        finish(session, job)


# An import this large changes the tables enough for the planner's old statistics to mislead
# it (estimates of 25 rows for 50,000 made every list 5x slower), and leaves its rows unmarked in
# the visibility map, so an index-only scan (a list's keys, its count) visits the table for each
# of them (a deep page took 3x as long): VACUUM (ANALYZE) them when it ends, rather than waiting
# for autovacuum.
REFRESH_AFTER_ROWS = 1_000


def refresh_statistics(session: Session) -> None:
    """VACUUM (ANALYZE) the tables an import fills (well under a second for 100,000 new rows):
    fresh planner statistics, and the new rows marked all-visible. VACUUM runs outside any
    transaction: call it between two of the session's, after the import's has committed."""
    connection = session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    connection.execute(text("VACUUM (ANALYZE) clients, contacts"))
    session.commit()  # gives the connection back, to its usual isolation level


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
        return
    if job.processed >= REFRESH_AFTER_ROWS:
        try:
            refresh_statistics(session)
        except SQLAlchemyError as exc:  # the import is done; autovacuum will get there later
            session.rollback()
            log.warning("import %s: could not vacuum the tables: %s", job_id, short_reason(exc))
