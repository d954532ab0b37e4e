"""A chromium for the session and a fresh page (own cookies) per test."""

import pytest

from tests.support.browser import chromium


@pytest.fixture(scope="session")
def browser():
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(base_url=base_url)
    context.set_default_timeout(15_000)
    page = context.new_page()
    failed = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.failed_responses = failed
    yield page
    context.close()
