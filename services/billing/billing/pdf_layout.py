"""The layout every invoice PDF shares (fpdf2): the fonts, the header, the facts, the table of
lines and the total. What an invoice says is its own module's: `invoicing/pdf.py` (a client's
invoice from its agency) and `subscription/documents.py` (the platform's invoice to an agency).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from kit.money import Money

log = logging.getLogger(__name__)

# The PDF core font (Helvetica) draws Latin-1 and costs nothing to embed: an invoice is rendered
# in tens of milliseconds. An invoice with other characters (client names are not all Latin-1)
# uses a Unicode TrueType font when the system has one (parsing and subsetting it takes most of
# a second), else the core font with the characters it cannot draw replaced.
UNICODE_FONTS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
)
STATUS_WORDS = {"open": "Open", "paid": "Paid", "failed": "Payment failed", "void": "Void"}


def amount_text(value: dict) -> str:
    """`{"amount", "currency"}` as an invoice prints it: `1,234.56 USD`."""
    return Money(value["amount"], value["currency"]).format()


def rgb_of(color: str | None) -> tuple[int, int, int] | None:
    """`#rrggbb` as three 0-255 numbers; None for no colour or a malformed one."""
    if not color or len(color) != 7 or not color.startswith("#"):
        return None
    try:
        return (int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16))
    except ValueError:
        return None


def needs_unicode(*values: Any) -> bool:
    """Whether any text in `values` is beyond what the core font draws (Latin-1)."""
    try:
        json.dumps(values, ensure_ascii=False, default=str).encode("latin-1")
    except UnicodeEncodeError:
        return True
    return False


class InvoiceLayout(FPDF):
    """An A4 invoice. `printed` is everything it will print (it decides the font); every text
    goes through `text_of`, which keeps the core font from failing on a character."""

    def __init__(self, title: str, author: str, printed: Sequence[Any]) -> None:
        super().__init__(format="A4")
        self.unicode = needs_unicode(*printed) and all(
            os.path.exists(path) for path in UNICODE_FONTS
        )
        if self.unicode:
            self.add_font("Body", "", UNICODE_FONTS[0])
            self.add_font("Body", "B", UNICODE_FONTS[1])
            self.family = "Body"
        else:
            self.family = "Helvetica"
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(self.text_of(title))
        self.set_author(self.text_of(author))
        self.add_page()

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def style(self, size: float, bold: bool = False) -> None:
        self.set_font(self.family, "B" if bold else "", size)

    def line_of_text(self, text: Any, size: float = 10, bold: bool = False, align="L") -> None:
        self.style(size, bold)
        self.cell(
            0, size * 0.6, self.text_of(text), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )

    def header_of(
        self, issuer: str, number: Any, color: str | None = None, logo: bytes | None = None
    ) -> None:
        """Who issues the invoice (its logo, its name in its brand colour under a band of that
        colour), then its number, large. A logo fpdf2 cannot read is left out."""
        rgb = rgb_of(color)
        if rgb:
            self.set_fill_color(*rgb)
            self.rect(0, 0, self.w, 8, style="F")
        if logo:
            try:
                self.image(io.BytesIO(logo), x=self.l_margin, y=self.get_y(), h=18)
                self.set_y(self.get_y() + 20)
            except Exception:  # an unreadable logo must not stop the invoice
                log.warning("the agency's logo could not be drawn on the invoice", exc_info=True)
        if rgb:
            self.set_text_color(*rgb)
        self.line_of_text(issuer or "Invoice", size=16, bold=True)
        self.set_text_color(0, 0, 0)
        self.ln(2)
        self.line_of_text(f"Invoice {number}", size=20, bold=True)
        if rgb:
            self.set_draw_color(*rgb)
            self.set_line_width(0.8)
            self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
            self.set_draw_color(0, 0, 0)
            self.set_line_width(0.2)
        self.ln(4)

    def facts(self, pairs: Iterable[tuple[str, Any]]) -> None:
        """Label and value, a line each (billed to, dates, status...)."""
        for label, value in pairs:
            self.style(10, bold=True)
            self.cell(40, 6, self.text_of(label))
            self.style(10)
            self.cell(0, 6, self.text_of(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(6)

    def lines_table(
        self,
        headings: Sequence[str],
        rows: Iterable[Sequence[Any]],
        col_widths: Sequence[float],
        text_align: Sequence[str],
    ) -> None:
        """The invoice's lines under `headings` (a long cell wraps within its column)."""
        self.style(9)
        with self.table(
            col_widths=tuple(col_widths),
            text_align=tuple(text_align),
            line_height=6,
            first_row_as_headings=True,
        ) as table:
            header = table.row()
            for title in headings:
                header.cell(title)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(self.text_of(value))
        self.ln(3)

    def total(self, amount: dict) -> None:
        self.line_of_text(f"Total: {amount_text(amount)}", size=12, bold=True, align="R")
        self.ln(4)

    def to_bytes(self) -> bytes:
        return bytes(self.output())
