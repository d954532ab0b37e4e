"""Settings > Accounts: every client with who funds its usage ("Balance from: agency" or
"Balance from: customer"), its balance, the pencil to change it (the seed's two flows), and the
ledger of each balance with its running balance and CSV export. The agency balance: top-up by
card, manual credit, low-balance threshold, and how its usage is re-billed to the clients."""

from __future__ import annotations

import uuid
from decimal import Decimal, InvalidOperation

from flask import Blueprint, Response, render_template, request, url_for

from gateway.api.balances_schemas import (
    BalanceSettingsRequest,
    CardTopUpRequest,
    FundingRequestCreate,
    ManualCreditRequest,
    UsageRebillingRequest,
)
from gateway.auth import login_required, permission_required
from gateway.rpc import services
from gateway.security_headers import stripe_page
from gateway.web.billing_forms import minor_units
from gateway.web.forms import Form, done, form_failed, read_form, show_form
from gateway.web.settings import _page as settings_page
from kit import permissions
from kit.errors import DomainError, NotFound

bp = Blueprint("balances", __name__, url_prefix="/settings/accounts")
MONEY_FIELDS = ("amount", "starting_balance", "low_threshold", "auto_recharge_amount")
DOLLAR_MESSAGES = {
    "starting_balance": "Enter at least 25.00 (dollars and cents, like 25.00).",
    "auto_recharge_amount": "Enter at least 25.00, or leave it empty for no auto-recharge.",
}


def _money_form(schema, **extra):
    """The posted form with its dollar boxes read as cents."""
    amounts = {
        name: minor_units(request.form.get(name))
        for name in MONEY_FIELDS
        if name in schema.fields and name in request.form
    }
    amounts = {k: v for k, v in amounts.items() if v is not None}
    form = read_form(schema, extra={**amounts, **extra})
    # The schema speaks cents; the page's boxes are dollars.
    for name in MONEY_FIELDS:
        if form.refusal and name in form.refusal:
            form.refusal[name] = [DOLLAR_MESSAGES.get(name, "Enter an amount like 25.00.")]
    return form


def _accounts_context(**forms) -> dict:
    context = {
        **settings_page("accounts"),
        "accounts": services.billing.list_accounts(),
        "balances": services.billing.get_balances(),
        "new_key": uuid.uuid4().hex,
        "topup_form": Form(),
        "credit_form": Form(),
        "settings_form": Form(),
        "rebilling": (rebilling := services.billing.get_usage_rebilling()),
        "rebilling_text": rebilling_text(rebilling),
        "rebilling_form": Form(),
    }
    context.update(forms)
    return context


@bp.get("/")
@login_required
def index():
    """The clients' funding and balances, and the agency balance."""
    return render_template("balances/accounts.html", **_accounts_context())


def _action(schema, method, form_name: str, message, **extra):
    form = _money_form(schema(), **extra)
    try:
        result = method(**form.valid_data())
    except DomainError as exc:
        return form_failed(
            "balances/accounts.html", form, exc, **_accounts_context(**{form_name: form})
        )
    return done(message(result), url_for(".index"))


@bp.post("/top-up")
@permission_required(permissions.MANAGE_BILLING)
def top_up():
    """Top up the agency balance from its saved card."""
    return _action(
        CardTopUpRequest,
        services.billing.top_up_by_card,
        "topup_form",
        lambda r: f"Topped up: the agency balance is {_money(r['balance_after'])}.",
    )


@bp.post("/credit")
@permission_required(permissions.MANAGE_BILLING)
def credit():
    """Credit a transfer received, with its reference."""
    return _action(
        ManualCreditRequest,
        services.billing.record_manual_credit,
        "credit_form",
        lambda r: f"Credit recorded: the balance is {_money(r['balance_after'])}.",
    )


@bp.post("/settings")
@permission_required(permissions.MANAGE_BILLING)
def balance_settings():
    """The low-balance threshold and auto-recharge amount."""
    return _action(
        BalanceSettingsRequest,
        services.billing.set_balance_settings,
        "settings_form",
        lambda r: "Balance settings saved.",
        **({} if request.form.get("low_threshold") else {"low_threshold": 0}),
    )


def basis_points(text: str | None):
    """A markup typed in percent (`12.5`, `12.50 %`) as basis points (1250); the text itself
    when it is not a percent with at most two decimals (the form then says so), None if blank."""
    text = (text or "").strip().rstrip("%").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) > 100_000:
        return text
    return int(value * 100)


@bp.post("/rebilling")
@permission_required(permissions.MANAGE_BILLING)
def usage_rebilling():
    """Re-bill agency-funded usage: off, at cost, or with a markup typed in percent."""
    mode = request.form.get("mode", "")
    markup = basis_points(request.form.get("markup_percent")) if mode == "markup" else None
    form = read_form(UsageRebillingRequest(), extra={"markup_basis_points": markup})
    form.values["markup_percent"] = request.form.get("markup_percent", "")
    if form.refusal and "markup_basis_points" in form.refusal:
        form.refusal["markup_basis_points"] = ["Enter a markup from 0 to 1000 (%), like 12.5."]
    try:
        result = services.billing.set_usage_rebilling(**form.valid_data())
    except DomainError as exc:
        return form_failed(
            "balances/accounts.html",
            form,
            exc,
            {"markup_basis_points": "markup_percent"},
            **_accounts_context(rebilling_form=form),
        )
    return done(f"Usage re-billing: {rebilling_text(result)}.", url_for(".index"))


def rebilling_text(setting: dict) -> str:
    """How the page says the setting: "off", "at cost", "with a 12.5% markup"."""
    if setting["mode"] == "markup":
        percent = Decimal(setting["markup_basis_points"]) / 100
        return f"with a {percent.normalize():f}% markup"
    return "at cost" if setting["mode"] == "at_cost" else "off"


def _money(value: dict) -> str:
    from gateway.web.shell import format_money

    return format_money(value)


# --- the agency's own card ------------------------------------------------------------------------


@bp.route("/card", methods=["GET", "POST"])
@permission_required(permissions.MANAGE_BILLING)
def agency_card():
    """Save the agency's own card (Stripe.js) for top-ups of the agency balance."""
    problem = None
    if request.method == "POST":
        try:
            saved = services.billing.save_agency_card(request.form.get("setup_intent_id", ""))
        except DomainError as exc:
            if exc.http_status in (401, 404) or exc.http_status >= 500:
                raise
            problem = exc.message
        else:
            return done(f"Card saved: {saved['card']}.", url_for(".index"))
    try:
        setup = services.billing.start_agency_card_setup()
    except DomainError as exc:
        if exc.http_status != 409:
            raise
        setup, problem = None, exc.message
    return stripe_page(
        render_template(
            "balances/card.html",
            **settings_page("accounts"),
            setup=setup,
            problem=problem,
        ),
        422 if problem and setup else 200,
    )


# --- the pencil: who funds a client ------------------------------------------------------------


def _client_context(client_id: str) -> dict:
    return {
        **settings_page("accounts"),
        "title": "Client billing",
        "funding": services.billing.get_funding(client_id),
    }


@bp.get("/<client_id>")
@login_required
def client(client_id: str):
    """A client's funding: move it to customer billing (a request) or back to the agency."""
    return show_form("balances/client.html", Form(), **_client_context(client_id))


@bp.post("/<client_id>/to-customer")
@permission_required(permissions.MANAGE_BILLING)
def to_customer(client_id: str):
    """ "Email client": the customer gets a secure link to pay its starting balance."""
    form = _money_form(FundingRequestCreate())
    try:
        sent = services.billing.request_customer_funding(client_id, **form.valid_data())
    except DomainError as exc:
        return form_failed("balances/client.html", form, exc, **_client_context(client_id))
    return done(
        f"Billing request sent to {sent['email']}. The client stays on agency billing until "
        "the customer pays.",
        url_for(".client", client_id=client_id),
    )


@bp.post("/<client_id>/to-agency")
@permission_required(permissions.MANAGE_BILLING)
def to_agency(client_id: str):
    """ "Add to agency billing", confirmed."""
    services.billing.fund_by_agency(client_id)
    return done(
        "The client is on agency billing; its balance was added to the agency balance.",
        url_for(".index"),
    )


@bp.post("/<client_id>/requests/<request_id>/resend")
@permission_required(permissions.MANAGE_BILLING)
def resend(client_id: str, request_id: str):
    sent = services.billing.resend_funding_request(client_id, request_id)
    return done(
        f"Billing request sent again to {sent['email']}.", url_for(".client", client_id=client_id)
    )


@bp.post("/<client_id>/requests/<request_id>/cancel")
@permission_required(permissions.MANAGE_BILLING)
def cancel(client_id: str, request_id: str):
    services.billing.cancel_funding_request(client_id, request_id)
    return done(
        "Billing request cancelled: its link no longer works.",
        url_for(".client", client_id=client_id),
    )


# --- the ledger of a balance --------------------------------------------------------------------


@bp.get("/ledger/<account>")
@login_required
def ledger(account: str):
    """An account's transfers, newest first, with the running balance."""
    try:
        page_number = max(1, int(request.args.get("page", 1)))
    except ValueError:
        page_number = 1
    page = services.billing.list_transfers(account, page=page_number, per_page=50)
    funding = None
    if account != "agency":
        try:
            funding = services.billing.get_funding(account)
        except NotFound:  # a system account: no client behind it
            funding = None
    return render_template(
        "balances/ledger.html",
        **{**settings_page("accounts"), "title": "Ledger"},
        account=account,
        page=page,
        funding=funding,
    )


@bp.get("/ledger/<account>/export.csv")
@login_required
def ledger_csv(account: str):
    text = services.billing.transfers_csv(account)
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="ledger-{account}.csv"'},
    )
