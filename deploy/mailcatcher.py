"""The local mail catcher: an SMTP server that keeps what it receives and a web page to read it.

    python -m deploy.mailcatcher --smtp-port 1025 --web-port 8025

Messages stay in memory (the last 500 by default). The web side lists them at `/`, shows one at
`/messages/<id>` (the text part, and the HTML part in a sandboxed frame), and gives JSON at
`/api/messages` and `/api/messages/<id>` so tests and scripts can read the links; a DELETE of
`/api/messages` empties the box.
"""

from __future__ import annotations

import argparse
import collections
import email
import email.policy
import html
import itertools
import json
import logging
import re
import signal
import threading
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

log = logging.getLogger("deploy.mailcatcher")

DEFAULT_CAPACITY = 500
LINK = re.compile(r"https?://[^\s<>\"')\]]+")


class MailBox:
    """Received messages, newest last, at most `capacity` of them; safe across threads."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY):
        self._messages: collections.deque[dict] = collections.deque(maxlen=capacity)
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, raw: bytes, mail_from: str, rcpt_tos: list[str]) -> dict:
        entry = parse_message(raw, mail_from, rcpt_tos)
        with self._lock:
            entry["id"] = next(self._ids)
            self._messages.append(entry)
        return entry

    def all(self) -> list[dict]:
        """Every kept message, newest first."""
        with self._lock:
            return list(reversed(self._messages))

    def get(self, message_id: int) -> dict | None:
        with self._lock:
            return next((m for m in self._messages if m["id"] == message_id), None)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def parse_message(raw: bytes, mail_from: str, rcpt_tos: list[str]) -> dict:
    """The parts of a message a person (or a test) wants to read."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    text = _body(message, "plain")
    html_body = _body(message, "html")
    return {
        "to": str(message.get("To") or ", ".join(rcpt_tos)),
        "from": str(message.get("From") or mail_from),
        "recipients": list(rcpt_tos),
        "subject": str(message.get("Subject") or ""),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "text": text,
        "html": html_body,
        "links": list(dict.fromkeys(LINK.findall(text or html.unescape(html_body or "")))),
        "size": len(raw),
    }


def _body(message: email.message.EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown charset: show what can be shown
        content = part.get_payload(decode=True).decode("utf-8", "replace")
    # SMTP carries CRLF line ends; readers (and tests) expect plain newlines.
    return content.replace("\r\n", "\n")


class _SmtpHandler:
    """aiosmtpd calls this for each message it accepted."""

    def __init__(self, box: MailBox):
        self.box = box

    async def handle_DATA(self, server, session, envelope) -> str:
        entry = self.box.add(envelope.content, envelope.mail_from, envelope.rcpt_tos)
        log.info("caught #%s to %s: %s", entry["id"], entry["to"], entry["subject"])
        return "250 Message accepted for delivery"


def _summary(entry: dict) -> dict:
    return {k: entry[k] for k in ("id", "to", "from", "subject", "date")}


class _WebHandler(BaseHTTPRequestHandler):
    box: MailBox  # set on the subclass the server is built with

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0].rstrip("/") or "/"
        if path == "/":
            self._send(HTTPStatus.OK, "text/html", render_index(self.box.all()))
        elif path == "/api/messages":
            self._json(HTTPStatus.OK, self.box.all())
        elif (entry := self._entry(path, "/api/messages/")) is not None:
            self._json(HTTPStatus.OK, entry)
        elif (entry := self._entry(path, "/messages/")) is not None:
            self._send(HTTPStatus.OK, "text/html", render_message(entry))
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def do_DELETE(self) -> None:
        if self.path.rstrip("/") == "/api/messages":
            self.box.clear()
            self._send(HTTPStatus.NO_CONTENT, "text/plain", "")
        else:
            self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

    def _entry(self, path: str, prefix: str) -> dict | None:
        if not path.startswith(prefix) or not path[len(prefix) :].isdigit():
            return None
        return self.box.get(int(path[len(prefix) :]))

    def _json(self, status: HTTPStatus, data: Any) -> None:
        self._send(status, "application/json", json.dumps(data))

    def _send(self, status: HTTPStatus, content_type: str, body: str) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if data and self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args) -> None:
        log.debug("web: " + format, *args)


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{{font-family:system-ui,sans-serif;margin:0;background:#f3f4f6;color:#111827}}
header{{background:#111827;color:#fff;padding:12px 24px}}
header a{{color:#fff;text-decoration:none}}
main{{max-width:960px;margin:24px auto;padding:0 16px}}
table{{width:100%;border-collapse:collapse;background:#fff;border:1px solid #e5e7eb}}
th,td{{text-align:left;padding:8px 12px;border-bottom:1px solid #e5e7eb;font-size:14px}}
th{{background:#f9fafb;font-weight:600}} tr:hover td{{background:#f5f7ff}}
.meta{{background:#fff;border:1px solid #e5e7eb;padding:12px 16px;margin-bottom:16px}}
.meta dt{{font-weight:600;float:left;width:80px}} .meta dd{{margin:0 0 4px 80px}}
pre{{background:#fff;border:1px solid #e5e7eb;padding:16px;white-space:pre-wrap;
word-break:break-word}}
iframe{{width:100%;height:640px;border:1px solid #e5e7eb;background:#fff}}
.empty{{color:#6b7280}}
</style></head>
<body><header><a href="/"><strong>Mail catcher</strong></a></header><main>{body}</main></body>
</html>"""


def render_index(entries: list[dict]) -> str:
    """The list of caught messages, newest first."""
    if not entries:
        body = '<p class="empty">No messages yet. Send mail to this SMTP server.</p>'
    else:
        rows = "".join(
            f'<tr><td><a href="/messages/{e["id"]}">{html.escape(e["subject"] or "(no subject)")}'
            f"</a></td><td>{html.escape(e['to'])}</td><td>{html.escape(e['date'])}</td></tr>"
            for e in entries
        )
        body = (
            f"<h1>{len(entries)} message{'s' if len(entries) != 1 else ''}</h1>"
            f"<table><tr><th>Subject</th><th>To</th><th>Received</th></tr>{rows}</table>"
        )
    return PAGE.format(title="Mail catcher", body=body)


def render_message(entry: dict) -> str:
    """One message: headers, the text part, and the HTML part in a sandboxed frame."""
    meta = "".join(
        f"<dt>{label}</dt><dd>{html.escape(str(entry[key]))}</dd>"
        for label, key in (("From", "from"), ("To", "to"), ("Subject", "subject"), ("Date", "date"))
    )
    links = "".join(
        f'<li><a href="{html.escape(link)}">{html.escape(link)}</a></li>' for link in entry["links"]
    )
    body = f'<p><a href="/">&larr; all messages</a></p><dl class="meta">{meta}</dl>'
    if links:
        body += f"<h2>Links</h2><ul>{links}</ul>"
    if entry["html"]:
        # srcdoc in a sandbox without scripts: the e-mail's HTML is shown, never run.
        body += f'<h2>HTML</h2><iframe sandbox srcdoc="{html.escape(entry["html"])}"></iframe>'
    if entry["text"]:
        body += f"<h2>Text</h2><pre>{html.escape(entry['text'])}</pre>"
    return PAGE.format(title=html.escape(entry["subject"] or "Message"), body=body)


class MailCatcher:
    """The SMTP server and the web server, started and stopped together."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        smtp_port: int = 1025,
        web_port: int = 8025,
        capacity: int = DEFAULT_CAPACITY,
    ):
        self.host, self.web_port = host, web_port
        self.box = MailBox(capacity)
        self.smtp = Controller(_SmtpHandler(self.box), hostname=host, port=smtp_port)
        self.web: ThreadingHTTPServer | None = None

    def start(self) -> None:
        """SMTP first: once the web port answers (what `make run` waits for), both are up."""
        self.smtp.start()
        handler = type("WebHandler", (_WebHandler,), {"box": self.box})
        self.web = ThreadingHTTPServer((self.host, self.web_port), handler)
        self.web.daemon_threads = True
        self.web_port = self.web.server_address[1]
        threading.Thread(target=self.web.serve_forever, name="mailcatcher-web", daemon=True).start()

    def stop(self) -> None:
        if self.web is not None:
            self.web.shutdown()
            self.web.server_close()
            self.web = None
        self.smtp.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.mailcatcher", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--web-port", type=int, default=8025)
    parser.add_argument("--max-messages", type=int, default=DEFAULT_CAPACITY)
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s [%(name)s] %(message)s"
    )
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP verb

    catcher = MailCatcher(args.host, args.smtp_port, args.web_port, args.max_messages)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    catcher.start()
    log.info(
        "mail catcher: SMTP on %s:%s, web on http://%s:%s",
        args.host,
        args.smtp_port,
        args.host,
        catcher.web_port,
    )
    stopping.wait()
    catcher.stop()


if __name__ == "__main__":
    main()
