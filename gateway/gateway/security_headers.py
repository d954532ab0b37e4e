"""The headers every answer carries so that browsers and caches hold it safely.

- Content-Security-Policy: scripts only from this site's files (no inline script: the pages'
  behaviour is in static/js/app.js), nothing framed, forms post only here. Inline `style`
  attributes stay allowed: the pages use them for widths, and a style cannot run code.
- Cache-Control: no-store on every API answer and every page seen signed in (a view that set
  its own, e.g. a logo's short private cache, keeps it).
- Strict-Transport-Security in production only (HSTS_SECONDS), where the site is HTTPS.

A page that takes a card with Stripe.js is answered with `stripe_page`: the one place that lets
Stripe's origin in (`stripe_policy`); its template loads the script with the `stripe_js()` macro
(templates/macros/ui.html), both from `STRIPE_JS_URL`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response, current_app, g, request

from gateway.auth import is_api_request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        # Bootstrap's stylesheet draws checkboxes and selects with data: SVG images.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def stripe_policy(stripe_js_url: str) -> str:
    """The policy of a page that takes a card with Stripe.js: its script, and the calls and
    frames it makes, may come from Stripe's origin too (`STRIPE_JS_URL`: localstripe's own copy
    in development and tests, js.stripe.com in production). Only those pages get it."""
    parts = urlsplit(stripe_js_url)
    origin = f"{parts.scheme}://{parts.netloc}"
    script, connect, frame = [origin], [origin], []
    if parts.netloc == "js.stripe.com":
        # Stripe.js calls api.stripe.com and draws the card fields in its own frames.
        connect.append("https://api.stripe.com")
        frame = ["https://js.stripe.com", "https://hooks.stripe.com"]
    extra = {
        "script-src": script,
        "connect-src": connect,
        "frame-src": frame,
    }
    rules = []
    for rule in CONTENT_SECURITY_POLICY.split("; "):
        name = rule.split(" ", 1)[0]
        rules.append(" ".join([rule, *extra.pop(name, [])]))
    rules += [" ".join([name, *values]) for name, values in extra.items() if values]
    return "; ".join(rules)


def stripe_page(page: str, status: int = 200) -> Response:
    """Answer a page with a Stripe.js card form: with `stripe_policy` for `STRIPE_JS_URL`, and
    never cached (it holds a SetupIntent's client secret; some of these pages open without a
    login, so the signed-in rule below does not cover them)."""
    response = current_app.make_response((page, status))
    response.headers["Content-Security-Policy"] = stripe_policy(current_app.config["STRIPE_JS_URL"])
    response.headers["Cache-Control"] = "no-store"
    return response


def add_security_headers(response):
    """Set the headers above on `response` (an after_request hook)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    if request.endpoint != "static" and (is_api_request() or g.get("principal")):
        headers.setdefault("Cache-Control", "no-store")
    hsts = current_app.config.get("HSTS_SECONDS") or 0
    if hsts:
        headers["Strict-Transport-Security"] = f"max-age={hsts}; includeSubDomains"
    return response
