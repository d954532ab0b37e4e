"""The forms of the sign-in, user, role and settings pages (flask-wtf: each carries its CSRF
token), the one way a service's refusal is put back on a form, and the one way an action's
view ends well (`done`)."""

from __future__ import annotations

from zoneinfo import available_timezones

from flask import flash, redirect, render_template
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from kit.errors import DomainError

# A first check only (WTForms' Email() needs the email_validator package); identity decides.
EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$"


def _email(label: str = "E-mail") -> EmailField:
    return EmailField(
        label,
        validators=[
            DataRequired("Enter an e-mail address."),
            Regexp(EMAIL_SHAPE, message="Enter a valid e-mail address."),
            Length(max=254),
        ],
    )


def _name(label: str) -> StringField:
    return StringField(label, validators=[DataRequired(f"Enter {label.lower()}."), Length(max=100)])


def _password(label: str = "Password", required: bool = True) -> PasswordField:
    validators = [DataRequired("Enter a password.")] if required else [Optional()]
    return PasswordField(label, validators=[*validators, Length(max=128)])


class SignupForm(FlaskForm):
    agency_name = _name("Agency name")
    owner_name = _name("Your name")
    email = _email("Work e-mail")
    password = _password()


class SignupConfirmForm(FlaskForm):
    token = HiddenField()


class LoginForm(FlaskForm):
    email = EmailField("E-mail", validators=[DataRequired("Enter your e-mail address.")])
    password = PasswordField("Password", validators=[DataRequired("Enter your password.")])
    next = HiddenField()


class ForgotPasswordForm(FlaskForm):
    email = _email()


class NewPasswordForm(FlaskForm):
    """Reset password and accept an invitation: the e-mailed token and a password."""

    token = HiddenField(validators=[DataRequired("This link is incomplete; use the one e-mailed.")])
    password = _password("New password")


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired("Enter your current password.")]
    )
    new_password = _password("New password")
    revoke_tokens = BooleanField("Also revoke my API tokens")


class ApiTokenForm(FlaskForm):
    name = StringField(
        "Token name",
        validators=[DataRequired("Name the token after what will use it."), Length(max=100)],
    )


class UserForm(FlaskForm):
    """Add a user (password or invitation) and edit one (password optional: a new one)."""

    name = _name("Name")
    email = _email("E-mail (username)")
    role_id = SelectField("Role", validators=[DataRequired("Choose a role.")])
    password = _password("Password", required=False)
    send_invitation = BooleanField("Send an invitation e-mail so they choose their own password")

    def set_roles(self, roles: list[dict]) -> None:
        self.role_id.choices = [(r["id"], r["name"]) for r in roles]


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class RoleForm(FlaskForm):
    name = StringField("Role name", validators=[DataRequired("Name the role."), Length(max=50)])
    permissions = MultiCheckboxField("Permissions")

    def set_permissions(self, permissions: list[dict]) -> None:
        self.permissions.choices = [(p["name"], p["description"]) for p in permissions]


class AgencyForm(FlaskForm):
    name = _name("Agency name")
    timezone = SelectField("Time zone", validators=[DataRequired("Choose a time zone.")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = sorted(available_timezones())


def apply_errors(form: FlaskForm, exc: DomainError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's field messages on the form's fields; the rest becomes the form's error."""
    aliases = aliases or {}
    placed = False
    for key, message in (exc.fields or {}).items():
        field = getattr(form, aliases.get(key, key), None)
        # A hidden field (the e-mailed token) shows nothing: its message goes on top.
        if field is not None and hasattr(field, "errors") and field.type != "HiddenField":
            messages = message if isinstance(message, list) else [str(message)]
            field.errors = [*list(field.errors or ()), *messages]
            placed = True
    form.form_errors.append(exc.message if not placed else "Please correct the marked fields.")


def done(message: str, target: str):
    """Flash `message` as a success and go to `target` (the end of every action's view)."""
    flash(message, "success")
    return redirect(target)


def form_failed(template: str, form: FlaskForm, exc: DomainError, aliases=None, **context):
    """The same page again with what was typed and why it was refused (HTTP 4xx).

    A refusal (403) is shown on the form too, since it says which change is not allowed. Not
    found, not signed in and unavailable are not about the form: they go to the error handlers.
    """
    if exc.http_status in (401, 404) or exc.http_status >= 500:
        raise exc
    apply_errors(form, exc, aliases)
    return render_template(template, form=form, **context), exc.http_status
