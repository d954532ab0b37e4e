"""What a request's files may be: a type told by the content (and agreeing with the name), a
size limit, a few at a time; each refusal names the file and says why."""

from __future__ import annotations

import base64

import pytest

from clients.attachments import check_files, sniff
from kit.errors import ValidationError

LIMIT = 1024


def sent(name: str, data: bytes) -> list[dict]:
    return [{"filename": name, "data_base64": base64.b64encode(data).decode()}]


@pytest.mark.parametrize(
    ("name", "data", "content_type"),
    [
        ("brief.pdf", b"%PDF-1.7 ...", "application/pdf"),
        ("logo.PNG", b"\x89PNG\r\n\x1a\n....", "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0....", "image/jpeg"),
        ("anim.gif", b"GIF89a....", "image/gif"),
        ("pic.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
        (
            "plan.docx",
            b"PK\x03\x04....",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("notes.txt", "Grüße".encode(), "text/plain"),
        ("rows.csv", b"a,b\n1,2\n", "text/csv"),
    ],
)
def test_accepted_files_get_the_type_their_content_shows(name, data, content_type):
    assert sniff(name, data) == content_type
    [checked] = check_files(sent(name, data), LIMIT)
    assert (checked.filename, checked.content_type, checked.data) == (name, content_type, data)


@pytest.mark.parametrize(
    ("name", "data", "why"),
    [
        ("setup.exe", b"MZ\x90\x00", "not a file type we accept"),
        ("report.pdf", b"<html>not a pdf</html>", "not a file type we accept"),
        ("logo.png", b"%PDF-1.4", "not a file type we accept"),  # the name lies
        ("page.html", b"<script>alert(1)</script>", "not a file type we accept"),
        ("bin.txt", b"text\x00with NUL", "not a file type we accept"),
        ("big.txt", b"x" * (LIMIT + 1), "larger than 1024 bytes"),
        ("empty.txt", b"", "is empty"),
    ],
)
def test_refused_files_are_named_with_the_reason(name, data, why):
    with pytest.raises(ValidationError) as refused:
        check_files(sent(name, data), LIMIT)
    assert name in refused.value.message and why in refused.value.message
    assert list(refused.value.fields) == ["attachments"]


def test_names_lose_their_path_and_control_characters_and_files_are_counted():
    [checked] = check_files(sent("C:\\Users\\ann\\../\r\nbrief.txt", b"hi"), LIMIT)
    assert checked.filename == "brief.txt"
    with pytest.raises(ValidationError, match="At most 5 files"):
        check_files(sent("a.txt", b"a") * 6, LIMIT)
    with pytest.raises(ValidationError, match="could not be read"):
        check_files([{"filename": "a.txt", "data_base64": "not base64!"}], LIMIT)
    assert check_files(None, LIMIT) == [] and check_files([], LIMIT) == []
