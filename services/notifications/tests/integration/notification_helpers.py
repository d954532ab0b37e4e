"""Helpers of the notifications integration tests: an SMTP server that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading

import eventlet
from aiosmtpd.controller import Controller

PUBLIC_URL = "http://app.test:8000"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A real SMTP server on a fixed port that keeps what it receives; it can go down and up."""

    def __init__(self, port: int):
        self.port = port
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[email.message.EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address in str(m["To"])]


def wait_for(predicate, seconds: float = 15.0):
    """Poll `predicate` until it returns something truthy; fail after `seconds`."""
    with eventlet.Timeout(seconds, AssertionError(f"gave up waiting after {seconds}s")):
        while not (result := predicate()):
            eventlet.sleep(0.05)
    return result


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()
