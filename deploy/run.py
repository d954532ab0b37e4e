"""`make run`: the whole system on this machine, in the foreground, until Ctrl-C.

python -m deploy.run   (after `make venv infra assets migrate`; `make run` does all of it)

Ports come from the environment with the defaults of docs/contracts.md. A program that dies is
started again with back-off (deploy/stack.py), as docker-compose's `restart: unless-stopped` does.
"""

from __future__ import annotations

import os
import signal
import sys
import time

from deploy.stack import Stack, StackError

STARTUP_TIMEOUT = 90.0


def _port(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def main() -> int:
    gateway_port = _port("GATEWAY_PORT", 8000)
    smtp_port = _port("SMTP_PORT", 1025)
    mail_web_port = _port("MAILCATCHER_WEB_PORT", 8025)
    stripe_port = _port("LOCALSTRIPE_PORT", 8420)
    s3_port = _port("S3_PORT", 8430)
    gateway_url = f"http://127.0.0.1:{gateway_port}"
    stripe_url = f"http://127.0.0.1:{stripe_port}"
    s3_url = f"http://127.0.0.1:{s3_port}"
    env = {
        "GATEWAY_PORT": str(gateway_port),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp_port),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", stripe_url),
        "PUBLIC_URL": os.environ.get("PUBLIC_URL", gateway_url),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL", s3_url),
    }
    stack = Stack.system(
        env,
        gateway_port=gateway_port,
        stripe_port=stripe_port,
        s3_port=None if os.environ.get("S3_ENDPOINT_URL") else s3_port,
        mail_ports=(smtp_port, mail_web_port),
        restart=True,
    )

    def stop_on_signal(signum, frame):
        raise KeyboardInterrupt

    # Explicitly, also for SIGINT: a shell that starts us in the background ignores it.
    signal.signal(signal.SIGINT, stop_on_signal)
    signal.signal(signal.SIGTERM, stop_on_signal)
    try:
        stack.start()
        stack.wait_until_healthy(STARTUP_TIMEOUT)
        stack.say("")
        stack.say(f"The platform is up:  {gateway_url}/")
        stack.say(f"  API docs:          {gateway_url}/api/v1/docs")
        stack.say(f"  mail catcher:      http://127.0.0.1:{mail_web_port}")
        stack.say(f"  localstripe:       {stripe_url}")
        stack.say(f"  local S3 (moto):   {env['S3_ENDPOINT_URL']}")
        stack.say("Ctrl-C stops everything.")
        while True:  # the supervisor thread restarts whatever dies, until Ctrl-C
            time.sleep(1)
    except StackError as exc:
        stack.say(f"The system did not come up. {exc}")
        return 1
    except KeyboardInterrupt:
        stack.say("stopping ...")
        return 0
    finally:
        # A second Ctrl-C must not leave half the system running.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop()
        stack.say("stopped")


if __name__ == "__main__":
    sys.exit(main())
