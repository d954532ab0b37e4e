"""The customer's payment page, outside the team UI: the e-mailed link (`/fund?token=...`)
opens it, the customer enters a card with Stripe.js (the agency's publishable key; in
development and tests localstripe serves Stripe.js) and pays at least the starting balance.
No login: the link's token is the authority, and billing checks it on every step."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from gateway.rpc import services
from gateway.security_headers import CONTENT_SECURITY_POLICY
from gateway.web.balances import minor_units
from kit.errors import DomainError, NotFound, ValidationError

bp = Blueprint("fund", __name__, url_prefix="/fund")


def _stripe_js() -> str:
    return current_app.config.get("STRIPE_JS_URL") or "https://js.stripe.com/v3/"


def _with_stripe(response_body, status: int = 200):
    """The page may load Stripe.js and let it talk to Stripe (the CSP allows that origin)."""
    from urllib.parse import urlsplit

    parts = urlsplit(_stripe_js())
    origin = f"{parts.scheme}://{parts.netloc}"
    policy = CONTENT_SECURITY_POLICY.replace(
        "script-src 'self'", f"script-src 'self' {origin}"
    ).replace("connect-src 'self'", f"connect-src 'self' {origin}")
    if "frame-src" not in policy:
        policy += f"; frame-src {origin}"
    return response_body, status, {"Content-Security-Policy": policy, "Cache-Control": "no-store"}


def _problem(message: str, status: int):
    return _with_stripe(
        render_template(
            "balances/fund.html", title="Payment link", request_info=None, problem=message
        ),
        status,
    )


@bp.route("", methods=["GET", "POST"])
def pay():
    """GET: the page with a fresh card setup; POST: pay with the card Stripe.js confirmed."""
    token = request.values.get("token", "")
    try:
        info = services.billing.get_customer_funding_request(token)
    except NotFound as exc:
        return _problem(exc.message, 404)
    except ValidationError as exc:  # expired
        return _problem(exc.message, 410)
    errors, amount_text = {}, request.form.get("amount", "")
    if request.method == "POST":
        amount = minor_units(amount_text)
        try:
            paid = services.billing.pay_customer_funding(
                token, request.form.get("setup_intent_id", ""), amount
            )
        except NotFound as exc:
            return _problem(exc.message, 404)
        except DomainError as exc:
            errors = {"amount" if "amount" in exc.fields else "card": exc.message}
            status = exc.http_status
        else:
            return _with_stripe(
                render_template("balances/fund_done.html", title="Thank you", paid=paid)
            )
    else:
        status = 200
    setup = services.billing.start_customer_funding_card(token)
    whole, cents = divmod(info["starting_balance"]["amount"], 100)
    default = f"{whole}.{cents:02d}"
    return _with_stripe(
        render_template(
            "balances/fund.html",
            title="Fund your usage",
            request_info=info,
            setup=setup,
            token=token,
            amount=amount_text or default,
            errors=errors,
            stripe_js=_stripe_js(),
            problem=None,
        ),
        status,
    )
