"""The areas still to come (services, billing, reports) share one finished-looking empty page.

Each area is its own blueprint so the navigation shows it; its issue replaces the module.
"""

from __future__ import annotations

from flask import render_template

from gateway.auth import login_required


def render_placeholder(area: dict):
    return render_template("placeholder.html", title=area["title"], area=area)


def placeholder_view(area: dict):
    """A login-protected view rendering `area`'s empty state."""

    @login_required
    def index():
        return render_placeholder(area)

    index.__doc__ = f"{area['title']}: empty until {area['arrives_with']}."
    return index
