"""Pages that take a card with Stripe.js, and the card-update link e-mailed when a card payment
fails: `/pay/card?token=` opens outside any login (the token is the key), shows the client's
failed invoices and a card form; the card confirmed there is saved and every failed invoice of
the client is charged again at once. A forged, used or expired link is a page that says so and
changes nothing; opening it changes nothing either (mail scanners follow links)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from gateway.rpc import services
from gateway.security_headers import stripe_page
from kit.errors import Conflict, DomainError, NotFound, PaymentFailed, ValidationError

bp = Blueprint("payments", __name__)

PROBLEMS = {
    "used": ("This link was already used", "Your card was saved with it already."),
    "expired": ("This link has expired", "Card-update links work for 7 days."),
}


def card_page(template: str, status: int = 200, **context):
    """A page with a Stripe.js card form: its policy lets Stripe's script and calls in."""
    return stripe_page(render_template(template, **context), status)


def _problem(exc: DomainError):
    """The page for a link that cannot be used (unknown or forged, used, expired)."""
    kind = (exc.fields or {}).get("token") if isinstance(exc, ValidationError) else None
    title, text = PROBLEMS.get(
        kind, ("This link is not valid", "Check that the whole link was opened.")
    )
    status = 410 if kind else 404
    return render_template(
        "payments/card_update.html", title=title, problem=text, problem_title=title
    ), status


@bp.route("/pay/card", methods=["GET", "POST"])
def card_update():
    """The e-mailed card-update link."""
    token = request.values.get("token", "")
    if request.method == "POST":
        try:
            done = services.billing.finish_card_link(token, request.form.get("setup_intent_id", ""))
        except (NotFound, ValidationError) as exc:
            if isinstance(exc, ValidationError) and "token" not in (exc.fields or {}):
                return _open(token, message=exc.message, status=422)
            return _problem(exc)
        return render_template("payments/card_update.html", title="Card saved", done=done)
    return _open(token)


def _open(token: str, message: str | None = None, status: int = 200):
    try:
        page = services.billing.open_card_link(token)
    except (NotFound, ValidationError) as exc:
        return _problem(exc)
    except (Conflict, PaymentFailed) as exc:
        return render_template(
            "payments/card_update.html",
            title="Card payments are off",
            problem=exc.message,
            problem_title="Card payments are off",
        ), 409
    return card_page(
        "payments/card_update.html",
        status,
        title="Update your card",
        page=page,
        token=token,
        message=message,
    )
