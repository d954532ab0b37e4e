"""Turning an `Email` into a MIME message (text and HTML parts) and handing it to SMTP."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from nameko.extensions import DependencyProvider

from notifications.emails import Email
from notifications.templates import render


def compose(email: Email, mail_from: str) -> EmailMessage:
    """The message for `email`: rendered subject, a text part and an HTML alternative (with
    its inline images, if any), then the attachments."""
    rendered = render(email.template, **email.context)
    message = EmailMessage()
    message["Subject"] = rendered.subject
    message["From"] = mail_from
    # Address() rejects a malformed recipient here, before anything is sent.
    message["To"] = Address(display_name=email.to_name or "", addr_spec=email.to)
    message["Date"] = formatdate(usegmt=True)
    # An explicit domain: make_msgid's default asks DNS for this host's name.
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    html = message.get_body(("html",))
    for cid, content_type, content in email.inline_images:
        # The HTML part becomes multipart/related: the image travels with it (`src="cid:..."`).
        maintype, _, subtype = content_type.partition("/")
        html.add_related(content, maintype=maintype, subtype=subtype, cid=f"<{cid}>")
    for filename, content_type, content in email.attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return message


@dataclass(frozen=True)
class SmtpMailer:
    """Sends over SMTP; every failure (refused, timed out, rejected) raises."""

    host: str
    port: int
    mail_from: str
    public_url: str
    timeout: float = 10.0
    staff_email: str = "onboarding@agency.local"  # the platform's staff (onboarding requests)
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    def send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.username:
                smtp.login(self.username, self.password or "")
            smtp.send_message(message)


def mailer_from_config(config: dict) -> SmtpMailer:
    return SmtpMailer(
        host=config["SMTP_HOST"],
        port=int(config["SMTP_PORT"]),
        mail_from=config["MAIL_FROM"],
        public_url=config["PUBLIC_URL"],
        timeout=float(config.get("SMTP_TIMEOUT") or 10),
        username=config.get("SMTP_USERNAME") or None,
        password=config.get("SMTP_PASSWORD") or None,
        starttls=bool(config.get("SMTP_STARTTLS")),
        staff_email=str(config.get("PLATFORM_STAFF_EMAIL") or "onboarding@agency.local"),
    )


class Mailer(DependencyProvider):
    """The service's SMTP settings and sender, read once from its configuration."""

    def setup(self) -> None:
        self.mailer = mailer_from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> SmtpMailer:
        return self.mailer
