"""The stack tests' system with its Stripe calls through a proxy in front of its localstripe
(tests/support/stripe_proxy.py): everything passes as it came unless a test says otherwise, as
when Stripe refuses an agency's revoked key (`stripe_proxy.refuse_key`), which localstripe, taking
any `sk_` key, never does. (The browser tests keep localstripe direct: Stripe.js's preflight
requests are not the proxy's.)"""

from __future__ import annotations

import pytest

from tests.support.infra import free_port
from tests.support.stack import running_system
from tests.support.stripe_proxy import StripeProxy


@pytest.fixture(scope="session")
def stripe_proxy():
    proxy = StripeProxy(upstream_port=free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def system(stripe_proxy):
    """The whole system on its own databases, vhost, SMTP server and ports; Stripe behind the
    proxy (`system.stripe_url` is localstripe's own address)."""
    env = {
        "STRIPE_API_BASE": stripe_proxy.url,
        # The pages load Stripe.js from localstripe itself, as without the proxy.
        "STRIPE_JS_URL": f"http://127.0.0.1:{stripe_proxy.upstream_port}/js.stripe.com/v3/",
    }
    with running_system(env=env, stripe_port=stripe_proxy.upstream_port) as running:
        yield running
