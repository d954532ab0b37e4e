"""An import's file and scratch state in the database, so memory stays flat in the file's size.

- The file arrives in pieces (`append_chunk`, at most CHUNK_MAX_BYTES each, numbered from 0 in
  order; sending a piece again is a harmless retry) and is stored as `import_chunks` rows.
  `chunk_reader` reads it back one piece per query, so an import that commits every batch can
  keep reading (a server-side cursor would close at the first commit).
- `first_lines` finds the repeats of a key within one file: each batch's keys go into
  `import_keys` with `INSERT ... ON CONFLICT DO NOTHING RETURNING`, and the rows not returned are
  repeats, of a line the table remembers.
- `discard` deletes both when the import ends; uploads never started are deleted after
  UPLOAD_TTL.

Lists of keys travel as one array parameter joined with `unnest`: a list of 1,000 bind
parameters becomes, once psycopg prepares the statement, a generic plan that compares every row
of the agency with every parameter (a 40,000-row import took 27 s that way).
"""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from clients.models import ImportChunk, ImportJob, ImportKey
from kit.db import utcnow
from kit.errors import Conflict, ValidationError

CHUNK_BYTES = 256 * 1024  # what the gateway sends and a whole file is cut into
CHUNK_MAX_BYTES = 1024 * 1024
MAX_UPLOAD_BYTES = 64 * 1024 * 1024
UPLOAD_TTL = timedelta(days=1)

ChunkSource = Callable[[], Iterator[bytes]]  # each call reads the file from its start


def memory_source(data: bytes) -> ChunkSource:
    """A file sent whole, read in CHUNK_BYTES pieces like a stored one."""
    view = memoryview(data)
    return lambda: (bytes(view[at : at + CHUNK_BYTES]) for at in range(0, len(view), CHUNK_BYTES))


def chunk_reader(session: Session, job_id: uuid.UUID) -> ChunkSource:
    def chunks() -> Iterator[bytes]:
        seq = 0
        while True:
            data = session.scalar(
                select(ImportChunk.data).where(ImportChunk.job_id == job_id, ImportChunk.seq == seq)
            )
            if data is None:
                return
            yield bytes(data)
            seq += 1

    return chunks


def store(session: Session, job: ImportJob, data: bytes) -> None:
    """Store a file sent whole as the job's chunks."""
    for seq, at in enumerate(range(0, len(data), CHUNK_BYTES)):
        piece = data[at : at + CHUNK_BYTES]
        session.add(ImportChunk(job_id=job.id, seq=seq, agency_id=job.agency_id, data=piece))
        job.upload_chunks += 1
        job.upload_bytes += len(piece)


def append_chunk(session: Session, job: ImportJob, seq: int, data_base64: str) -> None:
    """Store piece `seq` of an upload (the job locked by the caller)."""
    if job.status != "uploading":
        raise Conflict("This import has already started; upload the file again to import it.")
    if not isinstance(seq, int) or seq < 0 or seq > job.upload_chunks:
        raise ValidationError(
            f"Send the file's pieces in order: piece {job.upload_chunks} is next.",
            {"seq": f"expected {job.upload_chunks}"},
        )
    if seq < job.upload_chunks:
        return  # a retry of a piece already stored
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValidationError(
            "The piece could not be read (bad base64).", {"data": "bad"}
        ) from None
    if len(data) > CHUNK_MAX_BYTES:
        raise ValidationError(
            f"A piece may hold at most {CHUNK_MAX_BYTES // 1024} KiB.", {"data": "too large"}
        )
    if job.upload_bytes + len(data) > MAX_UPLOAD_BYTES:
        limit = MAX_UPLOAD_BYTES // (1024 * 1024)
        raise ValidationError(f"The file is larger than {limit} MB.", {"file": "too large"})
    session.add(ImportChunk(job_id=job.id, seq=seq, agency_id=job.agency_id, data=data))
    job.upload_chunks += 1
    job.upload_bytes += len(data)


_REMEMBER_KEYS = text(
    """
    INSERT INTO import_keys (job_id, agency_id, key, line)
    SELECT :job_id, :agency_id, k.key, k.line
    FROM unnest(CAST(:keys AS text[]), CAST(:lines AS integer[])) WITH ORDINALITY AS k(key, line, n)
    ORDER BY k.n
    ON CONFLICT (job_id, key) DO NOTHING
    RETURNING line
    """
)
_FIRST_LINES = text(
    """
    SELECT k.key, k.line FROM unnest(CAST(:keys AS text[])) AS wanted(key)
    JOIN import_keys AS k ON k.job_id = :job_id AND k.key = wanted.key
    """
)


def first_lines(
    session: Session, job_id: uuid.UUID, agency_id: uuid.UUID, keyed: list[tuple[str, int]]
) -> dict[int, int]:
    """{line: the earlier line with its key} for the rows of `keyed` ((key, line), in file
    order) whose key the job has met before, in this batch or an earlier one."""
    if not keyed:
        return {}
    params = {
        "job_id": job_id,
        "agency_id": agency_id,
        "keys": [key for key, _ in keyed],
        "lines": [line for _, line in keyed],
    }
    new = set(session.scalars(_REMEMBER_KEYS, params))
    repeats = [(key, line) for key, line in keyed if line not in new]
    if not repeats:
        return {}
    first = dict(
        session.execute(
            _FIRST_LINES, {"job_id": job_id, "keys": list({key for key, _ in repeats})}
        ).all()
    )
    return {line: first[key] for key, line in repeats}


def discard(session: Session, job_id: uuid.UUID) -> None:
    """Drop a job's file and keys (the job ended)."""
    session.execute(delete(ImportChunk).where(ImportChunk.job_id == job_id))
    session.execute(delete(ImportKey).where(ImportKey.job_id == job_id))


def delete_abandoned(session: Session, agency_id: uuid.UUID | None = None) -> int:
    """Delete uploads never started within UPLOAD_TTL (their chunks go with them)."""
    statement = delete(ImportJob).where(
        ImportJob.status == "uploading", ImportJob.created_at < utcnow() - UPLOAD_TTL
    )
    if agency_id is not None:
        statement = statement.where(ImportJob.agency_id == agency_id)
    return session.execute(statement).rowcount
