"""Files on requests and on their comments: checked (size, and a type told by the content, not
the name), stored in the S3 bucket (storage.py) BEFORE their rows are written, then recorded in
the thread's transaction. Never a call to the store inside an open transaction: a file stored
whose transaction then fails is an orphan object, never a row pointing at nothing.

Accepted: PDF, PNG, JPEG, GIF, WebP, Office files (docx/xlsx/pptx, which are zip files by
content), zip, and plain text (txt, csv, md; UTF-8 without NUL). At most MAX_FILES a comment,
each at most the service's MAX_ATTACHMENT_BYTES.

Who gets a file: the agency's team (view_clients) and the contacts of the request's own client,
and those only for a file that is not on an internal note; anyone else's id is NotFound.
"""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clients.models import ClientRequest, RequestAttachment, RequestComment
from clients.storage import FileStore
from kit.context import Context
from kit.errors import NotFound, ValidationError
from kit.inputs import iso, refuse_nul

MAX_FILES = 5
DEFAULT_MAX_BYTES = 10 * 1024 * 1024  # the service's MAX_ATTACHMENT_BYTES unless configured
FIELD = "attachments"
# content signature -> (content type, the file name endings it may carry)
SIGNATURES: tuple[tuple[bytes, str, tuple[str, ...]], ...] = (
    (b"%PDF-", "application/pdf", (".pdf",)),
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"GIF87a", "image/gif", (".gif",)),
    (b"GIF89a", "image/gif", (".gif",)),
)
ZIP_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".zip": "application/zip",
}
TEXT_TYPES = {".txt": "text/plain", ".csv": "text/csv", ".md": "text/markdown"}
ACCEPTED = "PDF, images (PNG, JPG, GIF, WebP), Word, Excel, PowerPoint, ZIP or text files"


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes


def _size_text(limit: int) -> str:
    return f"{limit / (1024 * 1024):g} MB" if limit >= 1024 * 1024 else f"{limit} bytes"


def _ending(filename: str) -> str:
    dot = filename.rfind(".")
    return filename[dot:].lower() if dot > 0 else ""


def sniff(filename: str, data: bytes) -> str | None:
    """The content type the bytes are (and the name agrees with), None when not accepted."""
    ending = _ending(filename)
    for signature, content_type, endings in SIGNATURES:
        if data.startswith(signature):
            return content_type if ending in endings else None
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp" if ending == ".webp" else None
    if data.startswith(b"PK\x03\x04"):
        return ZIP_TYPES.get(ending)
    if ending in TEXT_TYPES and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT_TYPES[ending]
    return None


def _clean_name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("Each file needs a name.", {FIELD: "A file has no name."})
    # a path's last part only; no control characters in a header
    name = refuse_nul(value, FIELD).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch >= " " and ch != "\x7f").strip()
    if not name:
        raise ValidationError("Each file needs a name.", {FIELD: "A file has no name."})
    return name[-255:]


def check_files(files: Any, max_bytes: int) -> list[CheckedFile]:
    """`[{"filename", "data_base64"}]` as checked files; a clear ValidationError on `attachments`
    for anything too many, too large, empty or of a type not accepted."""
    if files in (None, ""):
        return []
    if not isinstance(files, list) or not all(isinstance(f, dict) for f in files):
        raise ValidationError(
            "Attachments are a list of files.", {FIELD: "Send a list of {filename, data_base64}."}
        )
    if len(files) > MAX_FILES:
        raise ValidationError(
            f"At most {MAX_FILES} files at a time.", {FIELD: f"Attach at most {MAX_FILES} files."}
        )
    checked = []
    for item in files:
        name = _clean_name(item.get("filename"))
        encoded = item.get("data_base64")
        if not isinstance(encoded, str):
            raise ValidationError(f"{name} has no content.", {FIELD: f"{name} is empty."})
        if len(encoded) > (max_bytes + 2) // 3 * 4 + 4:
            raise _too_large(name, max_bytes)
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                f"{name} could not be read.", {FIELD: f"{name} is not valid base64."}
            ) from None
        if not data:
            raise ValidationError(f"{name} is empty.", {FIELD: f"{name} is empty."})
        if len(data) > max_bytes:
            raise _too_large(name, max_bytes)
        content_type = sniff(name, data)
        if content_type is None:
            raise ValidationError(
                f"{name} is not a file type we accept. Attach {ACCEPTED}.",
                {FIELD: f"{name}: not an accepted type ({ACCEPTED})."},
            )
        checked.append(CheckedFile(name, content_type, data))
    return checked


def _too_large(name: str, max_bytes: int) -> ValidationError:
    limit = _size_text(max_bytes)
    return ValidationError(
        f"{name} is larger than {limit}, the most a file may be.",
        {FIELD: f"{name} is larger than {limit}."},
    )


@dataclass(frozen=True)
class StoredFile:
    id: uuid.UUID
    key: str
    file: CheckedFile


def store_files(
    store: FileStore | None, ctx: Context, files: list[CheckedFile]
) -> list[StoredFile]:
    """Put each file in the bucket under a fresh key of the caller's agency (no transaction may
    be open: call after committing)."""
    if files and store is None:
        raise ValueError("files to store but no file store")
    stored = []
    for file in files:
        attachment_id = uuid.uuid4()
        key = f"agencies/{ctx.agency}/attachments/{attachment_id}"
        store.put(key, file.data, file.content_type)
        stored.append(StoredFile(attachment_id, key, file))
    return stored


def record_files(
    session: Session,
    ctx: Context,
    request: ClientRequest,
    comment: RequestComment | None,
    stored: list[StoredFile],
) -> list[RequestAttachment]:
    rows = [
        RequestAttachment(
            id=item.id,
            agency_id=ctx.agency,
            request_id=request.id,
            comment_id=comment.id if comment else None,
            filename=item.file.filename,
            content_type=item.file.content_type,
            size=len(item.file.data),
            storage_key=item.key,
        )
        for item in stored
    ]
    session.add_all(rows)
    return rows


def attachment_dict(row: RequestAttachment) -> dict:
    return {
        "id": str(row.id),
        "request_id": str(row.request_id),
        "comment_id": str(row.comment_id) if row.comment_id else None,
        "filename": row.filename,
        "content_type": row.content_type,
        "size": row.size,
        "created_at": iso(row.created_at),
    }


def attachments_of(session: Session, request_id: uuid.UUID, public_only: bool) -> list:
    """The request's files, oldest first; `public_only`: none on an internal note."""
    query = (
        select(RequestAttachment)
        .outerjoin(RequestComment, RequestComment.id == RequestAttachment.comment_id)
        .where(RequestAttachment.request_id == request_id)
        .order_by(RequestAttachment.created_at, RequestAttachment.id)
    )
    if public_only:
        query = query.where((RequestComment.id.is_(None)) | (RequestComment.kind != "note"))
    return list(session.scalars(query))


def find_attachment(
    session: Session, ctx: Context, request: ClientRequest, attachment_id: Any, public_only: bool
) -> RequestAttachment:
    try:
        wanted = uuid.UUID(str(attachment_id))
    except ValueError:
        raise NotFound("No such file.") from None
    for row in attachments_of(session, request.id, public_only):
        if row.id == wanted and row.agency_id == ctx.agency:
            return row
    raise NotFound("No such file.")


def download(store: FileStore, row: RequestAttachment) -> dict:
    """What the gateway needs to hand the file over: its name, type, size and a short link."""
    return {
        **attachment_dict(row),
        "url": store.link(row.storage_key, row.filename, row.content_type),
    }
