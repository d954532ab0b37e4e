"""The harness itself: the system comes up healthy and the captured mailbox works."""

import smtplib
from email.message import EmailMessage

import requests

from tests.support.api import unique_email


def test_every_service_answers_the_gateway_health_check(base_url):
    answer = requests.get(f"{base_url}/healthz", timeout=10)

    assert answer.status_code == 200, answer.text
    assert answer.json()["ok"] is True


def test_an_email_sent_over_smtp_arrives_in_the_mailbox(mailbox):
    to = unique_email("smtp")
    message = EmailMessage()
    message["From"] = "harness@e2e.example.com"
    message["To"] = to
    message["Subject"] = "Round trip"
    message.set_content("Open https://example.com/round-trip?x=1.")
    message.add_alternative('<p><a href="https://example.com/html">open</a></p>', subtype="html")

    with smtplib.SMTP(mailbox.host, mailbox.port, timeout=10) as smtp:
        smtp.send_message(message)

    received = mailbox.wait_for(to, "round trip", timeout=5)
    assert received.first_url() == "https://example.com/round-trip?x=1"
    assert 'href="https://example.com/html"' in received.html
