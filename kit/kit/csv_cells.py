"""CSV the platform writes: every cell made safe for a spreadsheet, in one place.

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or carriage
return) as a formula: a client named `=HYPERLINK(...)` would run on the agency's machine when an
export is opened. Such a cell gets a leading `'`, which spreadsheets show as text. Numbers (int,
float, Decimal) are written as numbers (a negative amount stays a number): only text changes.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """`value` as a spreadsheet will read it as plain data: text that would start a formula gets
    a leading `'`; numbers and None ('' in the file) pass."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(rows: Iterable[Iterable[Any]]) -> str:
    """Rows (the header first) as CSV text, CRLF line ends, every cell through `safe_cell`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
