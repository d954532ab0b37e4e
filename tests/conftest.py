"""Fixtures of the stack tests. These run without eventlet's monkey-patching, in their own
pytest invocation (`pytest tests`), against the system started once per session."""

from __future__ import annotations

import pytest

from tests.support.api import ApiClient, sign_up
from tests.support.stack import running_system


@pytest.fixture(scope="session")
def system():
    """The whole system on its own databases, vhost, SMTP server and ports."""
    with running_system() as running:
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
