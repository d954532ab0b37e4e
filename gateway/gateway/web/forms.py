"""The one way a page form is read and refused, and the one way an action's view ends well.

A page form is read with the API's marshmallow schema for the same fields (`read_form`): what was
typed is kept on the `Form` to show again; `Form.valid_data()` is what the schema loaded, or a
ValidationError naming the fields. Whoever refuses (the schema, or a service), `form_failed` shows
the same page again with each message under its field. flask-wtf is only the CSRF check here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask import flash, redirect, render_template, request
from marshmallow import Schema
from marshmallow import ValidationError as SchemaError

from gateway.uploads import TooLarge, picture_base64
from kit.errors import DomainError, ValidationError

# A form as a whole refused because of some of its fields (their messages are under them).
CHECK_FIELDS = "Please correct the marked fields."


@dataclass
class Form:
    """A page form: what was typed (or the record being edited), and what is wrong with it."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    message: str | None = None
    data: dict | None = None
    refusal: dict[str, Any] = field(default_factory=dict)
    hidden: tuple[str, ...] = ()

    def valid_data(self) -> dict:
        """What the schema loaded; a ValidationError with the schema's field messages if not."""
        if self.data is None:
            raise ValidationError(CHECK_FIELDS, self.refusal)
        return self.data

    def refuse(self, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
        """Put a refusal's field messages under their fields, and say on top what went wrong:
        the refusal's own message when it is about something the page does not show."""
        aliases = aliases or {}
        on_top, unshown = [], False
        for key, messages in (exc.fields or {}).items():
            name = aliases.get(key, key)
            if name in self.hidden:  # a hidden field (the e-mailed token) shows nothing
                on_top.extend(_messages(messages))
                continue
            self.errors.setdefault(name, []).extend(_messages(messages))
            unshown = unshown or name not in self.values
        shown = self.errors and not unshown
        self.message = " ".join(on_top) or (CHECK_FIELDS if shown else exc.message)


def _messages(given: Any) -> list[str]:
    """A field's messages as a flat list (marshmallow nests a list item's messages by index)."""
    if isinstance(given, dict):
        return [m for item in given.values() for m in _messages(item)]
    if isinstance(given, list | tuple):
        return [m for item in given for m in _messages(item)]
    return [str(given)]


def comma_list(text: str | None) -> list[str]:
    """A box of comma (or semicolon) separated words as a list: "retail, vip" -> [retail, vip]."""
    return [word.strip() for word in (text or "").replace(";", ",").split(",") if word.strip()]


def read_form(
    schema: Schema,
    *,
    lists: Iterable[str] = (),
    comma_lists: Iterable[str] = (),
    required: Iterable[str] = (),
    omit_blank: Iterable[str] = (),
    hidden: Iterable[str] = (),
    extra: dict | None = None,
) -> Form:
    """The posted form loaded by `schema` (the API's, for the same fields).

    `lists` are fields posted many times (checkboxes: none ticked is an empty list);
    `comma_lists` are one text box of comma-separated words; a field in `required` must be
    filled on this page though the schema lets it out (an edit page's name). A blank box of a
    required field is missing (its "required" message); other blank boxes are sent blank, so
    an edit can clear them, but for those in `omit_blank` (a password left empty is no
    password). `extra` is what the page loads besides (an id in the path, the custom fields'
    boxes as one dict), over what was typed. A `hidden` field's messages go on top of the form.
    Fields the schema does not know (the CSRF token) are ignored.
    """
    lists, comma_lists, omit_blank = set(lists), set(comma_lists), set(omit_blank)
    for name in required:
        schema.fields[name].required = True
    posted = request.form
    values: dict[str, Any] = {}
    for name in {*posted.keys(), *lists}:
        if name in lists:
            values[name] = posted.getlist(name)
        elif name in comma_lists:
            values[name] = comma_list(posted.get(name))
        else:
            values[name] = posted.get(name, "")
    known = {f.data_key or name: f for name, f in schema.fields.items() if not f.dump_only}
    given = {
        name: value
        for name, value in values.items()
        if name in known and not (value == "" and (known[name].required or name in omit_blank))
    }
    # What was typed is what the page shows again; `extra` is what the schema loads.
    form = Form(values={**(extra or {}), **values}, hidden=tuple(hidden))
    try:
        form.data = schema.load({**given, **(extra or {})})
    except SchemaError as exc:
        form.refusal = exc.messages if isinstance(exc.messages, dict) else {"": exc.messages}
    return form


def form_picture(name: str) -> str | None:
    """The picture uploaded in the file box `name`, base64; too large is an error on the box."""
    try:
        return picture_base64(request.files.get(name), name)
    except TooLarge as exc:
        raise ValidationError(exc.message, exc.fields) from None


def picture_change(name: str, remove_box: str) -> dict:
    """An edit form's picture as a change: `{name}_base64` set to the upload, None when the
    remove box is ticked, or nothing when neither."""
    picture = form_picture(name)
    if picture:
        return {f"{name}_base64": picture}
    if request.form.get(remove_box):
        return {f"{name}_base64": None}
    return {}


def show_form(template: str, form: Form, **context):
    """A page with its form (HTTP 200)."""
    return render_template(template, form=form, **context)


def form_failed(
    template: str, form: Form, exc: DomainError, aliases: dict[str, str] | None = None, **context
):
    """The same page again with what was typed and why it was refused (HTTP 4xx), each field's
    message under the field (`aliases` maps a service's field name to the page's).

    A refusal (403) is shown on the form too, since it says which change is not allowed. Not
    found, not signed in and unavailable are not about the form: they go to the error handlers.
    """
    if exc.http_status in (401, 404) or exc.http_status >= 500:
        raise exc
    form.refuse(exc, aliases)
    return render_template(template, form=form, **context), exc.http_status


def done(message: str, target: str):
    """Flash `message` as a success and go to `target` (the end of every action's view)."""
    flash(message, "success")
    return redirect(target)
