"""The customer's payment page, outside the team UI: the e-mailed link (`/fund?token=...`)
opens it, the customer enters a card with Stripe.js (the agency's publishable key; in
development and tests localstripe serves Stripe.js) and pays at least the starting balance.
No login: the link's token is the authority, and billing checks it on every step."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gateway.rpc import services
from gateway.security_headers import stripe_page
from gateway.web.billing_forms import dollars, minor_units
from kit.errors import DomainError, NotFound, ValidationError

bp = Blueprint("fund", __name__, url_prefix="/fund")


def _problem(message: str, status: int):
    return stripe_page(
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
            return stripe_page(
                render_template("balances/fund_done.html", title="Thank you", paid=paid)
            )
    else:
        status = 200
    setup = services.billing.start_customer_funding_card(token)
    return stripe_page(
        render_template(
            "balances/fund.html",
            title="Fund your usage",
            request_info=info,
            setup=setup,
            token=token,
            amount=amount_text or dollars(info["starting_balance"]),
            errors=errors,
            problem=None,
        ),
        status,
    )
