"""The running system under test: databases, vhost, SMTP and localstripe of its own, then the
services and the gateway started by deploy.stack, exactly as `make run` starts them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from deploy.stack import ROOT, SERVICES, Stack, StackError
from tests.support.infra import RabbitVhost, free_port, fresh_database
from tests.support.mailbox import Mailbox

LOG = ROOT / ".run" / "e2e-stack.log"
STARTUP_TIMEOUT = 60.0


@dataclass
class RunningSystem:
    base_url: str
    mailbox: Mailbox
    stripe_url: str
    log: Path


@contextlib.contextmanager
def running_system() -> Iterator[RunningSystem]:
    """Everything up, for the whole test session; all of it gone afterwards."""
    database_urls = {name: fresh_database(name) for name in SERVICES}
    vhost = RabbitVhost()
    vhost.create()
    mailbox = Mailbox(free_port())
    mailbox.start()
    gateway_port, stripe_port = free_port(), free_port()
    base_url = f"http://127.0.0.1:{gateway_port}"
    env = {
        "AMQP_URI": vhost.amqp_uri,
        **{f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "PUBLIC_URL": base_url,
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "GATEWAY_PORT": str(gateway_port),
        "SECRET_KEY": "e2e-secret-key",
        "RPC_TIMEOUT": "10",
        # Every stack test logs in from 127.0.0.1: the per-IP throttle would end the suite.
        "LOGIN_MAX_IP_FAILURES": "10000",
    }
    LOG.parent.mkdir(exist_ok=True)
    try:
        with LOG.open("w") as log:
            stack = Stack.system(
                env,
                gateway_port=gateway_port,
                stripe_port=stripe_port,
                stripe_state=LOG.parent / f"e2e-localstripe-{gateway_port}.pickle",
                from_scratch=True,
                output=log,
            )
            with stack:
                try:
                    stack.wait_until_healthy(STARTUP_TIMEOUT)
                except StackError as exc:
                    raise StackError(f"{exc}\n(everything the system printed: {LOG})") from None
                yield RunningSystem(base_url, mailbox, env["STRIPE_API_BASE"], LOG)
    finally:
        mailbox.stop()
        vhost.delete()
