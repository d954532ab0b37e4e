"""An import job's life: created for an upload, its pieces appended, discarded, read back,
listed, failed; a running job whose process died (its lease ran out) is failed by any process."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from clients.imports import csvfile, uploads
from clients.models import ImportJob
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound
from kit.ids import parse_id
from kit.inputs import iso
from kit.permissions import CREATE_CLIENTS

log = logging.getLogger(__name__)


def import_dict(job: ImportJob) -> dict:
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
        "skip_updates": job.skip_updates,
        "error_count": job.error_count,
        "errors": list(job.errors or []),
        "failure": job.failure,
        "created_by": job.created_by,
        "created_at": iso(job.created_at),
        "finished_at": iso(job.finished_at),
    }


def new_job(ctx: Context, kind: str, status: str, filename: str | None = None) -> ImportJob:
    csvfile.require_kind(kind)
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
        skip_updates=False,
        created_by=ctx.principal_id,
        request_id=ctx.request_id,
        created_at=utcnow(),
    )


def create_import(
    session: Session, ctx: Context, kind: str, filename: str | None = None
) -> ImportJob:
    """A job to upload a file into (status `uploading`); the caller commits."""
    ctx.require(CREATE_CLIENTS)
    uploads.delete_abandoned(session, ctx.agency)
    job = new_job(ctx, kind, "uploading", filename)
    session.add(job)
    session.flush()
    return job


def append_import_chunk(
    session: Session, ctx: Context, job_id: str, seq: int, data_base64: str
) -> dict:
    """Store piece `seq` (from 0, in order) of the job's file; the caller commits."""
    ctx.require(CREATE_CLIENTS)
    job = find_job(session, ctx, job_id, lock=True)
    uploads.append_chunk(session, job, seq, data_base64)
    session.flush()
    return {"id": str(job.id), "chunks": job.upload_chunks, "size": job.upload_bytes}


def discard_upload(session: Session, ctx: Context, job_id: str) -> None:
    """Delete an upload that will not be imported (a preview only); the caller commits."""
    ctx.require(CREATE_CLIENTS)
    job = uploaded_job(session, ctx, job_id, lock=True)
    session.delete(job)  # its chunks go with it (ON DELETE CASCADE)
    session.flush()


def find_job(session: Session, ctx: Context, job_id: str, lock: bool = False) -> ImportJob:
    query = select(ImportJob).where(
        ImportJob.agency_id == ctx.agency, ImportJob.id == parse_id(job_id, "import")
    )
    if lock:  # the row as it is now, not as an earlier read of this session left it
        query = query.with_for_update().execution_options(populate_existing=True)
    job = session.scalar(query)
    if job is None:
        raise NotFound("No such import.")
    return job


def uploaded_job(session: Session, ctx: Context, job_id: str, lock: bool = False) -> ImportJob:
    """The job of an upload not started yet (Conflict once it has)."""
    job = find_job(session, ctx, job_id, lock)
    if job.status != "uploading":
        raise Conflict("This import has already started.")
    return job


def get_import(session: Session, ctx: Context, job_id: str) -> dict:
    ctx.require(CREATE_CLIENTS)
    return import_dict(find_job(session, ctx, job_id))


def list_imports(session: Session, ctx: Context, limit: int = 20) -> list[dict]:
    ctx.require(CREATE_CLIENTS)
    rows = session.scalars(
        select(ImportJob)
        .where(ImportJob.agency_id == ctx.agency, ImportJob.status != "uploading")
        .order_by(ImportJob.created_at.desc())
        .limit(min(max(int(limit), 1), 100))
    )
    return [import_dict(j) for j in rows]


def job_context(job: ImportJob) -> Context:
    return Context(
        agency_id=str(job.agency_id),
        request_id=job.request_id or uuid.uuid4().hex,
        principal_id=job.created_by,
        kind="system",
    )


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
