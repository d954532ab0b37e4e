"""The input rules every service and the gateway share: one e-mail rule, one set of field messages.

Field messages are what a person reads beside a field: a sentence with a capital and a full stop
that says what to do ("Enter a name.") or what is wrong ("Not a valid id."). Services raise them
in `ValidationError.fields`; the gateway's marshmallow schemas wrap the same checks (the core
below raises `InvalidValue`, a plain ValueError, so it needs no marshmallow).

E-mail addresses follow one rule, `normalise_email` (the `email-validator` package, no DNS look-up):
- surrounding spaces are dropped; display names ("Bob <b@x.com>"), quoted local parts and
  addresses over 254 characters are refused;
- the domain is lower-cased (and IDNA-normalised): domains are case-insensitive;
- the part before the @ keeps the case it was typed in, because people expect to see their address
  as they wrote it; two addresses that differ only in case are the same person, so uniqueness is
  compared on the lower-cased address (`lower(email)` in SQL).
Reserved test domains (`.test`) are accepted, so tests and demo data need no real domains.

The domain check (IDNA and the domain rules) is most of `validate_email`'s time, and an import of
10,000 contacts has a few dozen distinct domains: `normalise_email` runs the library's own steps
for a plain address (ASCII, no quotes, display name or bracketed IP) with the domain check done
once per distinct domain (`_domain_check`, cached), and hands any other address to
`validate_email` whole. The rule is the library's either way (kit/tests/unit/test_validation.py
compares the two on valid, invalid and random addresses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import email_validator
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES
from email_validator.syntax import (
    validate_email_domain_name,
    validate_email_length,
    validate_email_local_part,
)
from email_validator.types import ValidatedEmail

from kit.errors import ValidationError

MAX_EMAIL = 254  # RFC 5321's limit on a forward path, as every mail server enforces it
MAX_NAME = 100

REQUIRED = "Fill in this field."
INVALID_EMAIL = "Enter a valid e-mail address."
INVALID_ID = "Not a valid id."
NOT_TEXT = "Enter text."
NO_NUL = "Remove the NUL character."
EMAIL_TAKEN = "This e-mail address is already used."
CANNOT_CHANGE = "This cannot be changed."
NOT_A_NUMBER = "Enter a whole number."
FIX_FIELDS = "Please correct the marked fields."


def enter(what: str) -> str:
    """The message for a missing value: enter("a name") -> "Enter a name."."""
    return f"Enter {what}."


def too_long(max_length: int) -> str:
    """The message for a value over its length limit."""
    return f"This is too long (at most {max_length} characters)."


def choose_one(allowed: list[str] | tuple[str, ...]) -> str:
    """The message for a value outside a fixed list."""
    return f"Choose one of: {', '.join(allowed)}."


ENTER_NAME = enter("a name")
ENTER_EMAIL = enter("an e-mail address")


class InvalidValue(ValueError):
    """A value that fails a shared rule; `message` is the field message to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def normalise_email(value: Any) -> str:
    """The address in its stored form (see the module docstring), or InvalidValue."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InvalidValue(ENTER_EMAIL)
    if len(text) > MAX_EMAIL:
        raise InvalidValue(too_long(MAX_EMAIL))
    try:
        return _checked_address(text)
    except EmailNotValidError:
        raise InvalidValue(INVALID_EMAIL) from None


# Characters that send an address down the library's whole path: quoting, escapes, display
# names and bracketed IP addresses (the plain path below does not parse them).
_NOT_PLAIN = frozenset('"\\<>[]')


@functools.lru_cache(maxsize=4096)
def _domain_check(domain_part: str) -> tuple[str, str] | str:
    """(domain, ascii_domain) as `validate_email` makes them, or the library's message for a
    refused domain."""
    try:
        info = validate_email_domain_name(
            domain_part,
            test_environment=True,
            globally_deliverable=email_validator.GLOBALLY_DELIVERABLE,
        )
    except EmailNotValidError as exc:
        return str(exc)
    return info["domain"], info["ascii_domain"]


def _checked_address(text: str) -> str:
    """`validate_email(text, check_deliverability=False, test_environment=True).normalized`, the
    domain checked once per distinct domain; EmailNotValidError as the library raises it."""
    if not text.isascii() or "@" not in text or not _NOT_PLAIN.isdisjoint(text):
        return validate_email(text, check_deliverability=False, test_environment=True).normalized
    # validate_email's steps for an ASCII address with no quoting, display name or domain
    # literal (email_validator 2.x): split at the first @, the local part, the domain, length.
    local_part, _, domain_part = text.partition("@")
    local = validate_email_local_part(
        local_part,
        allow_smtputf8=email_validator.ALLOW_SMTPUTF8,
        allow_empty_local=email_validator.ALLOW_EMPTY_LOCAL,
        quoted_local_part=False,
        strict=email_validator.STRICT,
    )
    if not domain_part:
        raise email_validator.EmailSyntaxError("There must be something after the @-sign.")
    domain = _domain_check(domain_part)
    if isinstance(domain, str):
        raise email_validator.EmailSyntaxError(domain)
    ret = ValidatedEmail()
    ret.original = text
    ret.display_name = None
    ret.smtputf8 = local["smtputf8"]
    ret.local_part, ret.ascii_local_part = local["local_part"], local["ascii_local_part"]
    if (
        ret.ascii_local_part is not None
        and ret.ascii_local_part.lower() in CASE_INSENSITIVE_MAILBOX_NAMES
        and ret.local_part is not None
    ):
        ret.ascii_local_part = ret.ascii_local_part.lower()
        ret.local_part = ret.local_part.lower()
    ret.domain, ret.ascii_domain = domain
    ret.normalized = ret.local_part + "@" + ret.domain
    ret.ascii_email = (
        ret.ascii_local_part + "@" + ret.ascii_domain
        if ret.ascii_local_part and ret.ascii_domain
        else None
    )
    validate_email_length(ret)
    return ret.normalized


def is_email(value: Any) -> bool:
    """Whether `value` is an address by the one rule (e.g. to spot a data row among headers)."""
    try:
        normalise_email(value)
    except InvalidValue:
        return False
    return True


def clean_email(value: Any, field: str = "email") -> str:
    """`normalise_email` for a service: a bad address is a ValidationError on `field` (its
    message names the value, for reports such as an import's bad rows)."""
    try:
        return normalise_email(value)
    except InvalidValue as exc:
        summary = {
            ENTER_EMAIL: "An e-mail address is required.",
            INVALID_EMAIL: f"{value!r} is not a valid e-mail address.",
        }.get(exc.message, f"The e-mail address is longer than {MAX_EMAIL} characters.")
        raise ValidationError(summary, {field: exc.message}) from None


def clean_name(value: Any, field: str = "name", max_length: int = MAX_NAME) -> str:
    """A person's, agency's or role's name: inner spaces collapsed, not empty, not too long."""
    text = " ".join(value.split()) if isinstance(value, str) else ""
    if not text:
        raise ValidationError("A name is required.", {field: ENTER_NAME})
    if len(text) > max_length:
        raise ValidationError(
            f"The name is longer than {max_length} characters.", {field: too_long(max_length)}
        )
    return text


class FieldErrors:
    """Runs several field checks and raises one ValidationError holding every failure."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def check(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn(*args, **kwargs), or None with its field messages kept if it raised."""
        try:
            return fn(*args, **kwargs)
        except ValidationError as exc:
            self.fields.update(exc.fields)
            return None

    def raise_if_any(self) -> None:
        """Raise one ValidationError with every message collected, if there is any."""
        if self.fields:
            raise ValidationError(FIX_FIELDS, self.fields)
