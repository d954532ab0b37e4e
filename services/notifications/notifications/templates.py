"""Rendering an e-mail from the template folder: subject and text from `<name>.txt`, HTML from
`<name>.html`. Both extend a shared layout; only the HTML environment escapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

PRODUCT_NAME = "Agency Platform"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def nl2br(value: str) -> Markup:
    """Escaped text with its line breaks kept, for messages people typed."""
    return Markup("<br>\n").join(escape(line) for line in str(value).splitlines())


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("notifications", "templates"),
        # `.txt` templates are plain text: escaping them would put `&amp;` into links.
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["nl2br"] = nl2br
    env.globals["product_name"] = PRODUCT_NAME
    return env


_env = _environment()


def render(template: str, /, **context: Any) -> Rendered:
    """Render the e-mail `template`; the text template sets `subject` at its top level."""
    text_template = _env.get_template(f"{template}.txt").make_module(context)
    # A header is one line, whatever the template or the data put into it.
    subject = " ".join(str(text_template.subject).split())
    text = _tidy(str(text_template))
    html = _env.get_template(f"{template}.html").render(subject=subject, **context)
    return Rendered(subject=subject, text=text, html=html)


def _tidy(text: str) -> str:
    """Strip trailing spaces and runs of blank lines that template blocks leave behind."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy) + "\n"
