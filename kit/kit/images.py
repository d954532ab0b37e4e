"""Uploaded pictures (client logos, contact avatars, the agency's logo): JPEG or PNG, checked by
their first bytes and their size, never by the file name or declared type.

The gateway sends the bytes base64-encoded over RPC; services keep them as bytea.
"""

from __future__ import annotations

import base64
import binascii

from kit.errors import ValidationError

MAX_BYTES = 2 * 1024 * 1024
SIGNATURES = {b"\x89PNG\r\n\x1a\n": "image/png", b"\xff\xd8\xff": "image/jpeg"}


def decode_image(data_base64: str, field: str = "logo") -> tuple[bytes, str]:
    """The image bytes and their content type, or a ValidationError a person can act on."""
    if not isinstance(data_base64, str):
        raise ValidationError(
            "The image must be sent base64-encoded.", {field: "Send the image base64-encoded."}
        )
    # Size check before decoding: base64 is 4/3 of the bytes.
    if len(data_base64) > (MAX_BYTES * 4) // 3 + 8:
        raise ValidationError(
            "The image is larger than 2 MB.", {field: "Choose an image of at most 2 MB."}
        )
    try:
        data = base64.b64decode(data_base64, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(
            "The image must be sent base64-encoded.", {field: "Send the image base64-encoded."}
        ) from None
    if len(data) > MAX_BYTES:
        raise ValidationError(
            "The image is larger than 2 MB.", {field: "Choose an image of at most 2 MB."}
        )
    for signature, content_type in SIGNATURES.items():
        if data.startswith(signature) and len(data) > len(signature) + 8:
            return data, content_type
    raise ValidationError(
        "The image must be a JPG or PNG file.", {field: "Choose a JPG or PNG image."}
    )
