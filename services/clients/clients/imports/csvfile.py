"""Reading an uploaded CSV: decoding, the header, the column mapping, row validation. No database.

- The file comes as bytes, whole (`file_bytes`: `csv_text`, or the upload base64-encoded as
  `csv_base64`) or in stored pieces; `text_lines` decodes the pieces as UTF-8 with or without a
  BOM, one piece at a time, and splits them into physical lines. Undecodable bytes, NUL or other
  control characters, broken quoting (strict parsing) and a missing header line are refused with
  a ValidationError that starts "This file is not a CSV".
- Quoted fields, commas and line breaks inside quotes, CRLF and empty lines are handled by the
  csv module; empty lines are skipped. A row's `line` is the physical line of the file it starts
  on (the header is line 1 unless empty lines precede it).
- A mapping is `{column header: field}` (a field name, or None/"" to ignore the column). Without
  one, columns are matched to fields by name and common synonyms (`suggest_mapping`). Clients may
  map columns to custom fields as `custom:<field_id>`; a column named like a custom field is
  suggested for it.
- Rows are streamed (`mapped_rows` is a generator over the lines): nothing holds the whole file,
  as text or as rows. Each reader takes a fresh line iterator; reading twice means two passes.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from kit.csv_cells import csv_text
from kit.errors import ValidationError
from kit.validation import choose_one, is_email

NOT_CSV = "This file is not a CSV"
KINDS = ("clients", "contacts")
FIELDS = {
    "clients": {
        "name": "Name",
        "description": "Description",
        "website": "Website",
        "address": "Address",
        "tags": "Tags",
        "status": "Status",
        "account_managers": "Account managers (team e-mails)",
    },
    "contacts": {
        "name": "Name",
        "email": "E-mail",
        "client": "Client",
        "position": "Position",
        "phone": "Phone",
        "tags": "Tags",
    },
}
REQUIRED = {"clients": ("name",), "contacts": ("name", "email")}
SYNONYMS = {
    "clients": {
        "name": [
            "name",
            "client",
            "clientname",
            "company",
            "companyname",
            "organization",
            "organisation",
            "organizationname",
            "business",
        ],
        "description": ["description", "about", "notes", "summary"],
        "website": ["website", "url", "web", "site", "homepage", "websiteurl"],
        "address": ["address", "streetaddress", "location", "fulladdress"],
        "tags": ["tags", "tag", "labels", "categories"],
        "status": ["status", "state", "active"],
        "account_managers": [
            "accountmanagers",
            "accountmanager",
            "accountmanageremail",
            "manager",
            "managers",
        ],
    },
    "contacts": {
        "name": ["name", "fullname", "contactname", "contact", "person"],
        "email": ["email", "emailaddress", "mail", "e-mail", "emails"],
        "client": [
            "client",
            "clientname",
            "company",
            "companyname",
            "organization",
            "organisation",
            "account",
        ],
        "position": ["position", "title", "jobtitle", "role", "job"],
        "phone": ["phone", "phonenumber", "telephone", "tel", "mobile", "cell"],
        "tags": ["tags", "tag", "labels"],
    },
}
CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
CONTROL_SCAN_CHARS = 65536  # control characters this early mean a binary file, not a stray byte
MAX_LINE_CHARS = 1024 * 1024
_NOT_UTF8 = "it is not UTF-8 text (save it as CSV UTF-8 and try again)"


def not_csv(reason: str) -> ValidationError:
    return ValidationError(f"{NOT_CSV}: {reason}", {"file": reason})


def file_bytes(csv_text: str | None = None, csv_base64: str | None = None) -> bytes:
    """The bytes of a file sent whole (as text or base64); its content is checked as it is read."""
    if csv_base64 is not None:
        try:
            return base64.b64decode(csv_base64, validate=True)
        except (binascii.Error, ValueError, TypeError):
            raise not_csv("the upload could not be read (bad base64)") from None
    if not isinstance(csv_text, str):
        raise not_csv("no file was sent")
    return csv_text.encode("utf-8", errors="surrogatepass")


def text_lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """The file's physical lines (with their endings, as `open(newline="")` splits them), decoded
    as UTF-8 with or without a BOM, from its bytes in pieces of any size.

    A UTF-8 sequence, the BOM or a CRLF may be cut by a piece's end: the incremental decoder
    keeps the cut bytes and the last, unfinished line waits for the next piece. Memory holds one
    piece and one line, whatever the file's size.
    """
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending, line, checked = "", 0, 0
    for chunk in chunks:
        if b"\x00" in chunk:
            raise not_csv("it contains binary data (is it a spreadsheet or an image?)")
        try:
            text = decoder.decode(chunk)
        except UnicodeDecodeError:
            raise not_csv(_NOT_UTF8) from None
        if checked < CONTROL_SCAN_CHARS and text:
            if CONTROL.search(text, 0, CONTROL_SCAN_CHARS - checked):
                raise not_csv("it contains binary data (is it a spreadsheet or an image?)")
            checked += len(text)
        if not text:
            continue
        lines = io.StringIO(pending + text, newline="").readlines()
        # The last line may go on in the next piece (and a final "\r" may be half of "\r\n").
        pending = lines.pop() if not lines[-1].endswith("\n") else ""
        if len(pending) > MAX_LINE_CHARS:
            raise not_csv(
                f"line {line + len(lines) + 1} is longer than {MAX_LINE_CHARS:,} characters"
            )
        line += len(lines)
        yield from lines
    try:
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise not_csv(_NOT_UTF8) from None
    if pending:
        yield from io.StringIO(pending, newline="").readlines()


def records(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for every non-empty record of the file."""
    reader = csv.reader(lines, strict=True)
    previous = 0
    try:
        for cells in reader:
            start, previous = previous + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        raise not_csv(f"line {reader.line_num}: {exc} (check its quotes)") from None


def read_header(lines: Iterable[str]) -> tuple[int, list[str]]:
    """(line, column names) of the file's first record; data in place of names is refused."""
    for line, cells in records(lines):
        header = [cell.strip() for cell in cells]
        if any(is_email(cell) for cell in header):
            raise not_csv(
                f"its first line ({line}) holds data, not column names; "
                "add a header line such as name,email,client"
            )
        named = [h for h in header if h]
        if len(set(map(str.lower, named))) != len(named):
            raise ValidationError(
                "Two columns of this file have the same name; rename one.",
                {"file": "Give each column its own name."},
            )
        return line, header
    raise not_csv("the file is empty")


def _norm(value: str) -> str:
    return re.sub(r"[^a-z0-9@-]", "", value.lower()).replace("-", "")


def suggest_mapping(kind: str, header: list[str], custom_fields: dict | None = None) -> dict:
    """{column: field or None}: each field suggested for its first matching column."""
    synonyms = {field: {_norm(s) for s in words} for field, words in SYNONYMS[kind].items()}
    custom = {_norm(f.name): f"custom:{fid}" for fid, f in (custom_fields or {}).items()}
    mapping: dict[str, str | None] = {}
    taken: set[str] = set()
    for column in header:
        if not column:
            continue
        key = _norm(column)
        field = next((f for f, words in synonyms.items() if key in words), None)
        if field is None and kind == "clients":
            field = custom.get(key)
        if field in taken:
            field = None
        mapping[column] = field
        if field:
            taken.add(field)
    return mapping


def check_mapping(kind: str, header: list[str], mapping: dict, custom_fields: dict) -> dict:
    """The mapping with every column and field checked; unknown ones are refused."""
    if not isinstance(mapping, dict):
        raise ValidationError(
            "The mapping must map column names to fields.",
            {"mapping": "Map column names to fields."},
        )
    columns = set(header)
    used: dict[str, str] = {}
    for column, field in mapping.items():
        if column not in columns:
            raise ValidationError(
                f"The file has no column named {column!r}.", {f"mapping.{column}": "no column"}
            )
        if not field:
            continue
        known = field in FIELDS[kind] or (
            kind == "clients"
            and field.startswith("custom:")
            and field.removeprefix("custom:") in custom_fields
        )
        if not known:
            raise ValidationError(
                f"{field!r} is not a field of {kind}.", {f"mapping.{column}": "unknown field"}
            )
        if field in used:
            raise ValidationError(
                f"Both {used[field]!r} and {column!r} are mapped to {field}.",
                {f"mapping.{column}": "field mapped twice"},
            )
        used[field] = column
    if kind == "clients":
        unmapped = [
            f.name
            for fid, f in custom_fields.items()
            if getattr(f, "required", False) and f"custom:{fid}" not in used
        ]
        if unmapped:
            raise ValidationError(
                f"Map a column to the required field {', '.join(unmapped)}.",
                {"mapping": f"Map a column to {', '.join(unmapped)}: every client needs it."},
            )
    return {column: mapping.get(column) or None for column in header if column}


def missing_fields(kind: str, mapping: dict) -> list[str]:
    mapped = {f for f in mapping.values() if f}
    return [f for f in REQUIRED[kind] if f not in mapped]


def require_kind(kind: str) -> None:
    """Refuse an import of anything but clients or contacts."""
    if kind not in KINDS:
        raise ValidationError("kind must be clients or contacts.", {"kind": choose_one(KINDS)})


def require_fields(kind: str, mapping: dict) -> None:
    missing = missing_fields(kind, mapping)
    if missing:
        names = ", ".join(FIELDS[kind][f] for f in missing)
        raise ValidationError(
            f"Map a column of the file to: {names}.", {"mapping": f"missing {names}"}
        )


def mapped_rows(lines: Iterable[str], mapping: dict) -> Iterator[tuple[int, dict[str, str]]]:
    """(line, {field: cell}) for every data row, with the header's columns mapped."""
    rows = records(lines)
    _, header = next(rows)
    index = [(i, mapping.get(col.strip())) for i, col in enumerate(header)]
    index = [(i, field) for i, field in index if field]
    for line, cells in rows:
        yield line, {field: (cells[i].strip() if i < len(cells) else "") for i, field in index}


def count_rows(lines: Iterable[str]) -> int:
    return sum(1 for _ in records(lines)) - 1


def field_list(kind: str, custom_fields: dict) -> list[dict]:
    fields = [
        {"name": name, "label": label, "required": name in REQUIRED[kind]}
        for name, label in FIELDS[kind].items()
    ]
    if kind == "clients":
        fields += [
            {"name": f"custom:{fid}", "label": f.name, "required": bool(f.required)}
            for fid, f in custom_fields.items()
        ]
    return fields


def template(kind: str, custom_fields: dict) -> str:
    """A CSV file with the header row an import maps by itself (custom fields by their names)."""
    require_kind(kind)
    labels = [f["label"].split(" (")[0] for f in field_list(kind, custom_fields)]
    # A custom field's name is the agency's text: made safe like every CSV cell we write.
    return csv_text([labels])


def resolve_mapping(kind: str, header: list[str], mapping: Any, custom_fields: dict) -> dict:
    """The caller's mapping checked against the header, or the suggested one."""
    require_kind(kind)
    if mapping is None:
        return suggest_mapping(kind, header, custom_fields)
    return check_mapping(kind, header, mapping, custom_fields)
