"""Playwright on Debian's chromium (deploy/ensure-apt-package.sh installs it; Playwright never
downloads a browser here)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: run `make chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


PHONE = {"width": 375, "height": 740}  # the narrowest phone screen the pages are made for

# Every element drawn beyond the viewport's right edge (also inside a container that scrolls
# sideways, which a phone user never finds), as "tag.classes (right edge px)".
WIDER_THAN_VIEWPORT = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.height > 0 && box.right > width + 1) {
      const classes = typeof el.className === "string" ? el.className.trim() : "";
      const dotted = classes ? "." + classes.split(/\\s+/).join(".") : "";
      const name = el.tagName.toLowerCase() + dotted;
      wide.push(`${name} (${Math.round(box.right)}px)`);
    }
  }
  return wide;
}"""


def wider_than_viewport(page) -> list[str]:
    """The elements of the page that reach past the right edge of the screen."""
    return page.evaluate(WIDER_THAN_VIEWPORT)
