"""The team's top bar, above the trial banner: at 1376 px (a common laptop screen, where a long
name was pushed off the edge), at 1200 px (the narrowest screen that shows every area in the bar)
and at 768 px (the areas folded behind the menu button), the user's name and Log out are whole on
the screen and nothing in the bar reaches past its edge or is clipped."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.support.browser import wider_than_viewport

pytestmark = pytest.mark.browser

LONG_NAME = "Maximiliana Featherstonehaugh"
OPENS_AT = 1200  # the bar shows its areas from this width (navbar-expand-xl)

# Every element of the top bar drawn past the screen's edges, or whose content is wider than
# its box (scrolled or clipped, as an ellipsis cuts a name), as "tag.classes (what)".
TOP_BAR_OVERFLOW = """() => {
  const bar = document.querySelector('[data-test="top-bar"]');
  const width = document.documentElement.clientWidth;
  const wrong = [];
  for (const el of [bar, ...bar.querySelectorAll("*")]) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const classes = typeof el.className === "string" ? el.className.trim() : "";
    const name = el.tagName.toLowerCase() + (classes ? "." + classes.split(/\\s+/).join(".") : "");
    if (box.left < -1 || box.right > width + 1) {
      wrong.push(`${name} (drawn at ${Math.round(box.left)}..${Math.round(box.right)} px)`);
    }
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1) {
      wrong.push(`${name} (${el.scrollWidth} px of content in ${el.clientWidth} px)`);
    }
  }
  return wrong;
}"""


@pytest.mark.parametrize("width", [1376, 1200, 768])
def test_the_users_name_and_log_out_stay_whole_in_the_top_bar(page, new_agency, width):
    owner = new_agency()
    me = owner.get("/me", expect=200).json()["user"]
    owner.patch(f"/users/{me['principal_id']}", json={"name": LONG_NAME}, expect=200)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto("/login")
    page.fill('[name="email"]', owner.email)
    page.fill('[name="password"]', owner.password)
    page.click('[data-test="login-submit"]')
    expect(page.locator('[data-test="trial-banner"]')).to_be_visible()  # a new agency's trial

    user_menu = page.locator('[data-test="user-menu"]')
    if width < OPENS_AT:
        expect(user_menu).to_be_hidden()
        page.get_by_role("button", name="Menu").click()
        expect(page.locator("#mainnav")).to_have_class(re.compile(r"\bshow\b"))
    name = page.locator('[data-test="user-name"]')
    expect(name).to_be_visible()
    expect(name).to_have_text(LONG_NAME)
    expect(page.locator('[data-test="logout"]')).to_be_visible()
    assert page.evaluate(TOP_BAR_OVERFLOW) == []
    assert wider_than_viewport(page) == []
    if width >= OPENS_AT:
        # beside the areas (or below them, should they wrap), never over them
        areas = page.locator("#mainnav .navbar-nav").bounding_box()
        user = user_menu.bounding_box()
        assert areas["x"] + areas["width"] <= user["x"] + 1
