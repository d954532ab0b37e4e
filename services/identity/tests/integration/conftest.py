"""The identity service running in a nameko container on a fresh RabbitMQ vhost, called over
RPC the way the gateway calls it (kit.rpc.RpcClient: remote errors come back as kit errors)."""

from __future__ import annotations

import pytest

from identity.service import IdentityService
from kit.rpc import RpcClient
from kit.testing import capture_events, service_config


class Identity:
    """identity.method(*args) over RPC."""

    def __init__(self, client: RpcClient):
        self.client = client

    def __getattr__(self, method: str):
        return lambda *args, **kwargs: self.client.call("identity", method, *args, **kwargs)


@pytest.fixture
def config(db_url, rabbit_config, default_settings_env):
    return service_config("identity", rabbit_config, db_url)


@pytest.fixture
def identity(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    client = RpcClient(config, timeout=10)
    yield Identity(client)
    client.close()


@pytest.fixture
def signup(identity, anonymous):
    """Sign an agency up over RPC; returns the signup result."""

    def make(email="owner@acme.test", agency_name="Acme", password="correct-horse-battery"):
        return identity.signup(anonymous, agency_name, "Olive Owner", email, password, "192.0.2.1")

    return make


@pytest.fixture
def owner_ctx(signup, as_principal):
    return as_principal(signup()["principal"])


@pytest.fixture
def add_user(identity, owner_ctx, as_principal, anonymous, confirm_token):
    """Add a user with a built-in role, confirm their address by the e-mailed link and log
    them in; returns (their ctx, login result)."""

    def make(email, role_name="Member", ctx=None, password="correct-horse-battery"):
        ctx = ctx or owner_ctx
        role = next(r for r in identity.list_roles(ctx) if r["name"] == role_name)
        identity.create_user(ctx, "Some One", email, role["id"], password=password)
        identity.accept_user_invitation(anonymous, confirm_token(email))
        result = identity.login(anonymous, email, password, "192.0.2.2")
        return as_principal(result["principal"]), result

    return make


@pytest.fixture
def events(config):
    """Every event on `identity.events` from now on: `events.wait_for(type)`."""
    with capture_events(config, "identity") as queue:
        yield queue
