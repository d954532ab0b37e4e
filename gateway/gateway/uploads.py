"""Pictures and CSV files sent to the gateway: checked for size and handed on to a service as
base64, pictures whole, CSV files in pieces (so neither the gateway nor the service holds a whole
file). The service checks the content again."""

from __future__ import annotations

import base64
import codecs
from collections.abc import Iterable, Iterator

import requests
from flask import Response, request
from werkzeug.datastructures import FileStorage

from gateway.rpc import services
from kit.errors import DomainError, NotFound, ServiceUnavailable, ValidationError

MAX_PICTURE_BYTES = 2 * 1024 * 1024
MAX_CSV_BYTES = 10 * 1024 * 1024
CSV_PIECE_BYTES = 256 * 1024  # one append_import_chunk call
PICTURE_TYPES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


class TooLarge(DomainError):
    """An upload over the gateway's own limit (413)."""

    code = "too_large"
    http_status = 413


def _read_limited(stream, limit: int, field: str, what: str) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(
            f"The {what} is larger than {limit // (1024 * 1024)} MB.",
            {field: f"larger than {limit // (1024 * 1024)} MB"},
        )
    return data


def picture_base64(upload: FileStorage | None, field: str = "logo") -> str | None:
    """The uploaded JPG/PNG as base64, None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    return picture_bytes_base64(
        _read_limited(upload.stream, MAX_PICTURE_BYTES, field, "image"), field
    )


def picture_bytes_base64(data: bytes, field: str = "logo") -> str:
    """Check that `data` is a JPG/PNG of at most 2 MB; its base64 for the RPC."""
    if len(data) > MAX_PICTURE_BYTES:
        raise TooLarge("The image is larger than 2 MB.", {field: "larger than 2 MB"})
    if not data:
        raise ValidationError("The image file is empty.", {field: "empty file"})
    if not any(data.startswith(signature) for signature in PICTURE_TYPES):
        raise ValidationError("The image must be a JPG or PNG file.", {field: "not JPG or PNG"})
    return base64.b64encode(data).decode("ascii")


def raw_body_base64(field: str = "logo") -> str:
    """The request body itself as the picture (PUT with Content-Type image/png or image/jpeg)."""
    if request.content_length and request.content_length > MAX_PICTURE_BYTES:
        raise TooLarge("The image is larger than 2 MB.", {field: "larger than 2 MB"})
    return picture_bytes_base64(
        _read_limited(request.stream, MAX_PICTURE_BYTES, field, "image"), field
    )


def csv_pieces(upload: FileStorage | None, field: str = "file") -> Iterator[bytes]:
    """The uploaded CSV as UTF-8 bytes in CSV_PIECE_BYTES pieces, never whole in memory.

    The file is read twice from Werkzeug's spooled copy: first to check its size and whether it
    is UTF-8 (with or without BOM), then piece by piece as it is sent. A file that is not UTF-8 is
    taken as CP1252 (spreadsheets on Windows still save CSV that way) and re-encoded.
    """
    if upload is None or not upload.filename:
        raise ValidationError("Choose a CSV file to upload.", {field: "no file chosen"})
    stream = upload.stream
    decoder = codecs.getincrementaldecoder("utf-8")()
    size, utf8, blank = 0, True, True
    while piece := stream.read(CSV_PIECE_BYTES):
        if size == 0 and b"\x00" in piece[:4096]:
            raise ValidationError("This is not a CSV text file.", {field: "not a CSV file"})
        size += len(piece)
        if size > MAX_CSV_BYTES:
            raise TooLarge("The CSV file is larger than 10 MB.", {field: "larger than 10 MB"})
        blank = blank and not piece.strip()
        if utf8:
            try:
                decoder.decode(piece)
            except UnicodeDecodeError:
                utf8 = False
    if blank:
        raise ValidationError("The CSV file is empty.", {field: "empty file"})
    if utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8 = False
    stream.seek(0)
    return _read_pieces(stream, utf8)


def _read_pieces(stream, utf8: bool) -> Iterator[bytes]:
    while piece := stream.read(CSV_PIECE_BYTES):
        # CP1252 is one byte a character: any cut between pieces is a clean one.
        yield piece if utf8 else piece.decode("cp1252", errors="replace").encode("utf-8")


def text_pieces(text: str) -> Iterator[bytes]:
    """A CSV sent as text (the JSON API), in pieces like an upload's."""
    data = text.encode("utf-8", errors="replace")
    if len(data) > MAX_CSV_BYTES:
        raise TooLarge("The CSV file is larger than 10 MB.", {"csv": "larger than 10 MB"})
    return (data[at : at + CSV_PIECE_BYTES] for at in range(0, len(data), CSV_PIECE_BYTES))


def upload_csv(kind: str, pieces: Iterable[bytes], filename: str | None = None) -> str:
    """Send a CSV to the clients service piece by piece; the id of the upload to preview/start."""
    job = services.clients.create_import(kind, filename)
    for seq, piece in enumerate(pieces):
        services.clients.append_import_chunk(job["id"], seq, base64.b64encode(piece).decode())
    return job["id"]


def picture_response(picture: dict) -> Response:
    """A stored logo/avatar (the service's `{content_type, data_base64, updated_at}`) as an image
    the browser may keep for a few minutes; the ETag makes a changed picture show at once."""
    response = Response(base64.b64decode(picture["data_base64"]), mimetype=picture["content_type"])
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(picture.get("updated_at") or "")
    return response.make_conditional(request)


# Request attachments: the clients service checks each file's type (by content) and its own size
# limit (MAX_ATTACHMENT_BYTES); the gateway only refuses what is plainly too big to send on.
MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 5
ATTACHMENT_READ_TIMEOUT = (5, 30)  # connect, read: the file store's presigned link


def attachment_files(uploads: Iterable[FileStorage], field: str = "attachments") -> list[dict]:
    """The chosen files as `[{"filename", "data_base64"}]` for the clients service."""
    chosen = [upload for upload in uploads if upload is not None and upload.filename]
    if len(chosen) > MAX_ATTACHMENTS:
        raise ValidationError(
            f"At most {MAX_ATTACHMENTS} files at a time.",
            {field: f"Attach at most {MAX_ATTACHMENTS} files."},
        )
    files = []
    for upload in chosen:
        data = upload.stream.read(MAX_ATTACHMENT_BYTES + 1)
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise TooLarge(
                f"{upload.filename} is larger than 10 MB, the most a file may be.",
                {field: f"{upload.filename} is larger than 10 MB."},
            )
        files.append(
            {"filename": upload.filename, "data_base64": base64.b64encode(data).decode("ascii")}
        )
    return files


def attachment_response(download: dict) -> Response:
    """A stored attachment (the service's `{filename, content_type, size, url}`, `url` a
    short-lived link into the file store) streamed to the browser as a download: never shown
    inline, never sniffed (`X-Content-Type-Options: nosniff` is on every answer)."""
    try:
        stored = requests.get(download["url"], stream=True, timeout=ATTACHMENT_READ_TIMEOUT)
    except requests.RequestException:
        raise ServiceUnavailable(
            "The file store cannot be reached just now; please try again in a moment.",
            {"service": "file_store"},
        ) from None
    if stored.status_code == 404:
        stored.close()
        raise NotFound("No such file.")
    if stored.status_code != 200:
        stored.close()
        raise ServiceUnavailable(
            "The file store cannot hand the file over just now; please try again in a moment.",
            {"service": "file_store"},
        )

    def body() -> Iterator[bytes]:
        try:
            yield from stored.iter_content(64 * 1024)
        finally:
            stored.close()

    response = Response(body(), mimetype=download["content_type"])
    response.headers.set("Content-Disposition", "attachment", filename=download["filename"])
    if download.get("size") is not None:
        response.headers["Content-Length"] = str(download["size"])
    response.headers["Cache-Control"] = "private, no-store"
    return response
