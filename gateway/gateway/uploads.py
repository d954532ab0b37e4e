"""Pictures and CSV files sent to the gateway: read once, checked for size, handed on to a
service as base64 (pictures) or text (CSV). The service checks the content again."""

from __future__ import annotations

import base64

from flask import Response, request
from werkzeug.datastructures import FileStorage

from kit.errors import DomainError, ValidationError

MAX_PICTURE_BYTES = 2 * 1024 * 1024
MAX_CSV_BYTES = 10 * 1024 * 1024
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


def csv_text(upload: FileStorage | None, field: str = "file") -> str:
    """The uploaded CSV as text (UTF-8, with or without BOM; Latin-1 as a fallback)."""
    if upload is None or not upload.filename:
        raise ValidationError("Choose a CSV file to upload.", {field: "no file chosen"})
    data = _read_limited(upload.stream, MAX_CSV_BYTES, field, "CSV file")
    return decode_csv(data, field)


def decode_csv(data: bytes, field: str = "file") -> str:
    if not data.strip():
        raise ValidationError("The CSV file is empty.", {field: "empty file"})
    if b"\x00" in data[:4096]:
        raise ValidationError("This is not a CSV text file.", {field: "not a CSV file"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Spreadsheets on Windows still save CSV as Latin-1/CP1252.
        return data.decode("cp1252", errors="replace")


def picture_response(picture: dict) -> Response:
    """A stored logo/avatar (the service's `{content_type, data_base64, updated_at}`) as an image
    the browser may keep for a few minutes; the ETag makes a changed picture show at once."""
    response = Response(base64.b64decode(picture["data_base64"]), mimetype=picture["content_type"])
    response.headers["Cache-Control"] = "private, max-age=300"
    response.set_etag(picture.get("updated_at") or "")
    return response.make_conditional(request)
