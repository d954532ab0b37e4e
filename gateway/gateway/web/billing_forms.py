"""What the Services, Billing and client pages share about money and billing: amounts typed as
dollars (sent as integer minor units), the choices of the selects, and the words for the codes."""

from __future__ import annotations

from flask import render_template, request
from marshmallow import Schema

from gateway.auth import can
from gateway.rpc import services
from gateway.web.forms import CHECK_FIELDS, Form, read_form
from kit import permissions
from kit.errors import DomainError, PermissionDenied
from kit.money import Money

AMOUNT_MESSAGE = "Enter an amount like 12.50."
BILLING_TYPES = {
    "one_time": "One time",
    "recurring_in_advance": "Recurring, billed in advance",
    "recurring_in_arrears": "Recurring, billed in arrears",
    "hourly": "Hourly",
}
ASSIGNMENT_STATUSES = {
    "not_started": "Not started",
    "active": "Active",
    "ending_today": "Ending today",
    "ended": "Ended",
}
INVOICE_TABS = {"failed": "Failed", "open": "Open", "paid": "Paid", "void": "Void"}
PAYMENT_METHODS = {"card": "Card", "check": "Check"}
PAID_METHODS = {
    "check": "Check",
    "cash": "Cash",
    "bank_transfer": "Bank transfer",
    "card": "Card",
    "other": "Other",
}
WORDS = {**BILLING_TYPES, **ASSIGNMENT_STATUSES, **PAID_METHODS}


def minor_units(text: str | None) -> int | str | None:
    """A dollar box as the schemas take it: `25`, `25.5` or `1,250.50` as minor units; the
    text itself when it is not an amount (the schema then refuses it under the box), None when
    blank. Ranges (at least $25, not negative) are the schema's to say."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        return Money.parse(text).amount
    except ValueError:
        return text


def parse_amount(text: str, currency: str = "USD") -> int:
    """Dollars typed by a person ("1,250.50") as minor units; ValueError if not an amount."""
    amount = Money.parse(text, currency).amount
    if amount < 0:
        raise ValueError("negative")
    return amount


def read_money_form(schema: Schema, money_fields: tuple[str, ...], **options) -> Form:
    """`read_form`, with the boxes in `money_fields` typed as dollars and sent as minor units;
    a box that is not an amount is a message under it."""
    amounts, wrong = {}, {}
    for name in money_fields:
        text = request.form.get(name, "").strip()
        if not text:
            continue
        try:
            amounts[name] = parse_amount(text)
        except ValueError:
            wrong[name] = [AMOUNT_MESSAGE]
    form = read_form(schema, extra=amounts, **options)
    # What was typed shows again, not the minor units.
    form.values.update({name: request.form.get(name, "") for name in money_fields})
    if wrong:
        form.data = None
        form.refusal = {**form.refusal, **wrong}
    return form


def dollars(value: dict | None) -> str:
    """`{"amount": 1250}` as "12.50", to fill a box."""
    if not value:
        return ""
    whole, cents = divmod(int(value["amount"]), 100)
    return f"{whole}.{cents:02d}"


def service_choices(status: str = "active") -> list[dict]:
    return services.billing.list_services(status=status, per_page=100)["items"]


def stripe_connected() -> bool:
    """Whether the agency has Stripe keys (card payment is offered only then)."""
    if not (can(permissions.VIEW_BILLING) or can(permissions.MANAGE_SETTINGS)):
        return False
    try:
        return bool(services.billing.get_stripe_account()["connected"])
    except PermissionDenied:
        return False


def refuse(form: Form, exc: DomainError) -> None:
    """`Form.refuse`, where a billing service refusal's sentence ("An assignment cannot end in
    the past.") goes under the fields it names: its field messages are terse, for programs.
    Not found, not signed in and unavailable are not about the form: raised again."""
    if exc.http_status in (401, 404) or exc.http_status >= 500:
        raise exc
    form.refuse(exc)
    if exc.message != CHECK_FIELDS:  # the page's own schema writes sentences already
        for name in exc.fields or {}:
            if name in form.errors:
                form.errors[name] = [exc.message]


def failed(template: str, form: Form, exc: DomainError, **context):
    """The same page again, the refusal under its fields (as `forms.form_failed`)."""
    refuse(form, exc)
    return render_template(template, form=form, **context), exc.http_status
