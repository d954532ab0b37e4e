"""Fixtures of the stack tests. These run without eventlet's monkey-patching, in their own
pytest invocation (`pytest tests`), against the system started once per session."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient, sign_up
from tests.support.infra import free_port
from tests.support.stack import running_system
from tests.support.stripe_proxy import StripeProxy


@pytest.fixture(scope="session")
def stripe_proxy():
    """A proxy in front of the system's localstripe (tests/support/stripe_proxy.py): everything
    passes as it came unless a test says otherwise, as when Stripe refuses an agency's revoked
    key (`stripe_proxy.refuse_key`), which localstripe, taking any `sk_` key, never does."""
    proxy = StripeProxy(upstream_port=free_port()).start()
    yield proxy
    proxy.stop()


@pytest.fixture(scope="session")
def system(stripe_proxy):
    """The whole system on its own databases, vhost, SMTP server and ports, one for every stack
    test (two would share, and drop, the same databases). The services call Stripe through the
    proxy; pages load Stripe.js from localstripe itself, whose calls go straight to it
    (`system.stripe_url` is localstripe's own address)."""
    env = {
        "STRIPE_API_BASE": stripe_proxy.url,
        "STRIPE_JS_URL": f"http://127.0.0.1:{stripe_proxy.upstream_port}/js.stripe.com/v3/",
    }
    with running_system(env=env, stripe_port=stripe_proxy.upstream_port) as running:
        yield running


@pytest.fixture(scope="session")
def base_url(system) -> str:
    return system.base_url


@pytest.fixture(scope="session")
def mailbox(system):
    """Every e-mail the system sent; `mailbox.wait_for(to, subject)`."""
    return system.mailbox


@pytest.fixture
def api(base_url) -> ApiClient:
    """An API client without credentials."""
    return ApiClient(base_url)


@pytest.fixture
def new_agency(base_url, mailbox):
    """`new_agency()` signs up a fresh agency (through its e-mailed link) and answers its
    owner's token client."""

    def make(**kwargs) -> ApiClient:
        return sign_up(base_url, mailbox, **kwargs)

    return make
