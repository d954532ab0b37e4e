"""The running system under test: databases, vhost, SMTP and localstripe of its own, then the
services and the gateway started by deploy.stack, exactly as `make run` starts them.

The stack tests run it on the machine's PostgreSQL and RabbitMQ (their own `_e2e` databases and
vhost); the fault suite passes its private servers' URLs and asks for supervised restarts."""

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
    stack: Stack
    database_urls: dict[str, str]


@contextlib.contextmanager
def running_system(
    database_urls: dict[str, str] | None = None,
    amqp_uri: str | None = None,
    *,
    restart: bool = False,
    log: Path = LOG,
    env: dict[str, str] | None = None,
    replicas: int = 1,
    stripe_port: int | None = None,
) -> Iterator[RunningSystem]:
    """Everything up, for the whole test session; all of it gone afterwards.

    Without `database_urls` / `amqp_uri`, fresh `_e2e` databases and a vhost of its own on the
    machine's servers; `restart` supervises the programs as `make run` does; `env` adds to or
    overrides the programs' environment; `replicas` processes of each service (named
    `<service>-<n>` when more than one). STRIPE_API_BASE in `env` may point at a proxy in front
    of localstripe, which then listens on `stripe_port` (`stripe_url` is its own address)."""
    database_urls = database_urls or {name: fresh_database(name) for name in SERVICES}
    vhost = None if amqp_uri else RabbitVhost()
    if vhost is not None:
        vhost.create()
    mailbox = Mailbox(free_port())
    mailbox.start()
    gateway_port, s3_port = free_port(), free_port()
    stripe_port = stripe_port or free_port()
    base_url = f"http://127.0.0.1:{gateway_port}"
    env = {
        "AMQP_URI": amqp_uri or vhost.amqp_uri,
        **{f"{name.upper()}_DATABASE_URL": url for name, url in database_urls.items()},
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(mailbox.port),
        "PUBLIC_URL": base_url,
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "S3_ENDPOINT_URL": f"http://127.0.0.1:{s3_port}",
        "GATEWAY_PORT": str(gateway_port),
        "SECRET_KEY": "e2e-secret-key",
        "RPC_TIMEOUT": "10",
        # Every stack test logs in from 127.0.0.1: the per-IP throttle would end the suite.
        "LOGIN_IP_SLOW_AFTER": "10000",
        **(env or {}),
    }
    log.parent.mkdir(exist_ok=True)
    try:
        with log.open("w") as output:
            stack = Stack.system(
                env,
                gateway_port=gateway_port,
                stripe_port=stripe_port,
                s3_port=s3_port,
                stripe_state=LOG.parent / f"e2e-localstripe-{gateway_port}.pickle",
                replicas=replicas,
                from_scratch=True,
                output=output,
                restart=restart,
            )
            with stack:
                try:
                    stack.wait_until_healthy(STARTUP_TIMEOUT)
                except StackError as exc:
                    raise StackError(f"{exc}\n(everything the system printed: {log})") from None
                stripe_url = f"http://127.0.0.1:{stripe_port}"
                yield RunningSystem(base_url, mailbox, stripe_url, log, stack, database_urls)
    finally:
        mailbox.stop()
        if vhost is not None:
            vhost.delete()
