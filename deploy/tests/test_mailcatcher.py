"""The mail catcher keeps what arrives over SMTP and shows it over HTTP, as page and as JSON."""

import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import EmailMessage
from pathlib import Path

import pytest

from deploy.mailcatcher import MailCatcher

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def send(port: int, to: str, subject: str, text: str, html: str | None = None) -> None:
    message = EmailMessage()
    message["From"] = "Agency Platform <no-reply@agency.local>"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message)


@pytest.fixture
def catcher():
    catcher = MailCatcher(smtp_port=free_port(), web_port=free_port(), capacity=3)
    catcher.start()
    yield catcher
    catcher.stop()


def test_a_message_sent_over_smtp_reads_back_as_json_with_its_links(catcher):
    link = "http://127.0.0.1:8000/reset-password?token=abc123"
    send(
        catcher.smtp.port,
        "Ann <ann@agency.test>",
        "Reset your password",
        f"Choose a new password:\n\n{link}\n",
        f'<p>Choose <a href="{link.replace("&", "&amp;")}">a new password</a></p>',
    )

    status, content_type, body = get(catcher.web_port, "/api/messages")
    assert status == 200 and content_type.startswith("application/json")
    [message] = json.loads(body)
    assert message["to"] == "Ann <ann@agency.test>"
    assert message["from"] == "Agency Platform <no-reply@agency.local>"
    assert message["subject"] == "Reset your password"
    assert link in message["text"] and link in message["html"]
    assert message["links"] == [link]
    assert {"id", "date"} <= set(message)

    status, _, one = get(catcher.web_port, f"/api/messages/{message['id']}")
    assert status == 200 and json.loads(one)["subject"] == "Reset your password"


def test_the_pages_list_messages_and_show_both_parts_escaped(catcher):
    send(catcher.smtp.port, "bo@agency.test", "Hello <Bo>", "Text part", "<h1>HTML part</h1>")

    status, content_type, index = get(catcher.web_port, "/")
    assert status == 200 and content_type.startswith("text/html")
    assert "Hello &lt;Bo&gt;" in index and "bo@agency.test" in index
    [message] = json.loads(get(catcher.web_port, "/api/messages")[2])

    status, _, page = get(catcher.web_port, f"/messages/{message['id']}")
    assert status == 200
    assert "<pre>Text part\n</pre>" in page
    # The HTML part is shown in a sandboxed frame, escaped into its srcdoc attribute.
    assert 'sandbox srcdoc="&lt;h1&gt;HTML part&lt;/h1&gt;' in page
    assert get(catcher.web_port, "/messages/999")[0] == 404


def test_only_the_latest_messages_are_kept_and_the_box_can_be_emptied(catcher):
    for n in range(5):
        send(catcher.smtp.port, f"u{n}@agency.test", f"Message {n}", "body")
    messages = json.loads(get(catcher.web_port, "/api/messages")[2])
    assert [m["subject"] for m in messages] == ["Message 4", "Message 3", "Message 2"]

    request = urllib.request.Request(
        f"http://127.0.0.1:{catcher.web_port}/api/messages", method="DELETE"
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 204
    assert json.loads(get(catcher.web_port, "/api/messages")[2]) == []


def test_python_m_deploy_mailcatcher_serves_smtp_and_web():
    smtp_port, web_port = free_port(), free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "deploy.mailcatcher",
            "--smtp-port",
            str(smtp_port),
            "--web-port",
            str(web_port),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                if get(web_port, "/api/messages")[0] == 200:
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        send(smtp_port, "cy@client.test", "Portal invitation", "Welcome")
        [message] = json.loads(get(web_port, "/api/messages")[2])
        assert message["subject"] == "Portal invitation"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0
