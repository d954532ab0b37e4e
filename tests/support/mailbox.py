"""A real SMTP server in the test process (aiosmtpd) that keeps every message it receives, so
tests read the e-mails the notifications service sent, as a person would."""

from __future__ import annotations

import asyncio
import email
import email.policy
import re
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage

from aiosmtpd.controller import Controller

URL = re.compile(r"https?://[^\s<>\"')]+")


def first_url(text: str) -> str:
    """The first http(s) URL in `text`, without trailing punctuation."""
    match = URL.search(text or "")
    if not match:
        raise AssertionError(f"no URL in:\n{text}")
    return match.group(0).rstrip(".,;:!?")


@dataclass
class Email:
    to: list[str]
    sender: str
    subject: str
    text: str
    html: str
    message: EmailMessage

    def first_url(self) -> str:
        """The first link of the e-mail (its text part, else its HTML part)."""
        return first_url(self.text or self.html)


def _body(message: EmailMessage, subtype: str) -> str:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return ""
    return part.get_content()


class Mailbox:
    """SMTP on 127.0.0.1:`port`; `wait_for` blocks until a matching message arrives."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.messages: list[Email] = []
        self._arrived = threading.Condition()
        self._controller = Controller(self, hostname=host, port=port, ready_timeout=10)
        # The fault suite holds each send open at RCPT (`hold_sends`), to cut one off midway.
        self.rcpt_delay = 0.0
        self.send_in_progress = threading.Event()
        self.refusing = False

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()

    def hold_sends(self, seconds: float) -> None:
        """Keep each sender waiting `seconds` at RCPT TO, before the message is complete, and
        set `send_in_progress` meanwhile (0 to stop). A sender that dies there sent nothing."""
        self.rcpt_delay = seconds
        self.send_in_progress.clear()

    def refuse_sends(self, refusing: bool) -> None:
        """Refuse every recipient (a 550) while `refusing`: each send fails."""
        self.refusing = refusing

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        """aiosmtpd's hook: accept the recipient, after the hold if one is asked for."""
        if self.refusing:
            return "550 5.7.1 Refused for the test"
        if self.rcpt_delay:
            self.send_in_progress.set()
            await asyncio.sleep(self.rcpt_delay)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        """aiosmtpd's hook: keep the message."""
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        received = Email(
            to=[address.lower() for address in envelope.rcpt_tos],
            sender=envelope.mail_from,
            subject=str(message.get("Subject", "")),
            text=_body(message, "plain"),
            html=_body(message, "html"),
            message=message,
        )
        with self._arrived:
            self.messages.append(received)
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def find(self, to: str, subject: str | None = None) -> list[Email]:
        """Messages to `to` whose subject contains `subject` (case-insensitive), oldest first."""
        to = to.lower()
        wanted = (subject or "").lower()
        with self._arrived:
            return [m for m in self.messages if to in m.to and wanted in m.subject.lower()]

    def wait_for(
        self, to: str, subject: str | None = None, timeout: float = 15.0, count: int = 1
    ) -> Email:
        """The newest message to `to` with `subject` in its subject once there are `count` of
        them, waiting up to `timeout`."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                found = self.find(to, subject)
                if len(found) >= count:
                    return found[-1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    seen = [(m.to, m.subject) for m in self.messages]
                    raise AssertionError(
                        f"{len(found)} e-mail(s) to {to} with {subject!r} in the subject within "
                        f"{timeout} s, not {count}; received: {seen}"
                    )
                self._arrived.wait(remaining)
