"""Re-billing agency-funded usage: the agency's setting, and the usage invoices of a run.

The setting (table `balance_settings`): `off` (the default), `at_cost`, or `markup` with a markup
in basis points (1250 is 12.5%; 0 to 100000, that is up to 1000%). Agency-wide.

A billing run as of a day bills the calendar month before it (the agency's calendar: a usage's
`recorded_on` is its agency's day). For each client with agency-funded usage that month (usage
transfers drawn from the agency balance; a customer-funded draw came from the customer's own
prepaid balance and a refused draw wrote no transfer, so neither is billed), the run issues one
invoice of its own, "Usage <Month YYYY>": the month's sum marked up (invoicing.amounts
.with_markup). It is a separate invoice, not a line added to another one, because an invoice
here is one assignment's period or one charge, with its own payment method, and is immutable
once issued.

Exactly once per client and month: the run holds the agency's invoice counter (a concurrent run
waits, then finds the month billed); `uq_invoices_client_usage_month` is the last word. A run
bills only the month before its day, with the setting as it is then: usage of an earlier month
left unbilled (re-billing was off all through the month after it) is never billed.

The invoice is paid by card when the client has a card saved in the agency's Stripe account
(charged as every card invoice is, after the run commits), else by check. Its one line names
the built-in "Usage" service: a catalog row of the agency's, made on first use and never listed
or assigned, so invoice lines and reporting's revenue by service keep a service.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.invoicing.amounts import MAX_MARKUP_BP, with_markup
from billing.invoicing.invoices import Draft, Line
from billing.ledger.accounts import balance_settings, may_change, may_read
from billing.ledger.tables import AGENCY, BalanceSettings, LedgerAccount, LedgerTransfer
from billing.models import CatalogService, ClientFact, Invoice, StripeAccount, StripeCustomer
from kit.context import Context
from kit.errors import ValidationError
from kit.inputs import one_of

OFF, AT_COST, MARKUP = "off", "at_cost", "markup"
MODES = (OFF, AT_COST, MARKUP)
USAGE_SERVICE = "Usage"
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


# --- the setting ---------------------------------------------------------------------------------


def rebilling_dict(row: BalanceSettings) -> dict:
    return {"mode": row.usage_rebilling, "markup_basis_points": row.rebill_markup_bp}


def get_usage_rebilling(session: Session, ctx: Context) -> dict:
    """`{"mode": "off"|"at_cost"|"markup", "markup_basis_points"}`."""
    may_read(ctx)
    return rebilling_dict(balance_settings(session, ctx.agency))


def clean_markup(mode: str, value: Any) -> int:
    """Basis points for `markup` (0 to 100000); none (or 0) for the other modes."""
    field = "markup_basis_points"
    if value is None and mode != MARKUP:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(
            "markup_basis_points must be a whole number of basis points (1250 for 12.5%).",
            {field: "a whole number of basis points"},
        )
    if not 0 <= value <= MAX_MARKUP_BP:
        raise ValidationError(
            "The markup is 0 to 100000 basis points (0% to 1000%).", {field: "0 to 100000"}
        )
    if mode != MARKUP and value != 0:
        raise ValidationError(
            f"A markup goes with mode markup, not {mode}.", {field: "only with mode markup"}
        )
    return value


def set_usage_rebilling(session: Session, ctx: Context, mode: Any, markup_basis_points=None):
    """Set how agency-funded usage is re-billed from the next run on."""
    may_change(ctx)
    mode = one_of(mode, MODES, "mode")
    markup = clean_markup(mode, markup_basis_points)
    values = {"usage_rebilling": mode, "rebill_markup_bp": markup, "updated_at": func.now()}
    session.execute(
        insert(BalanceSettings)
        .values(agency_id=ctx.agency, low_threshold=0, card_summary="", **values)
        .on_conflict_do_update(index_elements=["agency_id"], set_=values)
    )
    return {"mode": mode, "markup_basis_points": markup}


# --- the run -------------------------------------------------------------------------------------


def month_before(day: date) -> tuple[date, date]:
    """The first and last day of the calendar month before `day`'s."""
    last = day.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def month_name(first: date) -> str:
    return f"{MONTHS[first.month - 1]} {first.year}"


def usage_service_id(session: Session, agency_id: uuid.UUID) -> uuid.UUID:
    """The agency's built-in "Usage" service, made on first use (archived: it takes no live
    name from the catalog)."""
    service_id = uuid.uuid5(uuid.NAMESPACE_URL, f"billing:usage-service:{agency_id}")
    session.execute(
        insert(CatalogService)
        .values(
            id=service_id,
            agency_id=agency_id,
            name=USAGE_SERVICE,
            description="Agency-funded usage re-billed on the client's invoice.",
            built_in=True,
            archived_at=func.now(),
            created_at=func.now(),
            updated_at=func.now(),
        )
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return service_id


def _card_clients(session: Session, agency_id: uuid.UUID) -> set[uuid.UUID]:
    """Clients that pay by card: a card saved in the agency's Stripe account (keys kept)."""
    if session.get(StripeAccount, agency_id) is None:
        return set()
    return set(
        session.scalars(
            select(StripeCustomer.client_id).where(
                StripeCustomer.agency_id == agency_id,
                StripeCustomer.payment_method_id.is_not(None),
            )
        )
    )


def usage_drafts(session: Session, agency_id: uuid.UUID, as_of: date) -> list[Draft]:
    """The usage invoices a run as of `as_of` issues: one per client with agency-funded usage
    in the month before and no usage invoice of that month yet (the caller holds the agency's
    invoice counter)."""
    settings = balance_settings(session, agency_id)
    if settings.usage_rebilling == OFF:
        return []
    markup = settings.rebill_markup_bp if settings.usage_rebilling == MARKUP else 0
    first, last = month_before(as_of)
    billed = exists().where(
        Invoice.client_id == LedgerTransfer.client_id, Invoice.usage_month == first
    )
    rows = session.execute(
        select(
            LedgerTransfer.client_id,
            ClientFact.name,
            LedgerTransfer.currency,
            func.sum(LedgerTransfer.amount).label("cost"),
        )
        .join(
            LedgerAccount,
            and_(
                LedgerAccount.id == LedgerTransfer.from_account_id,
                LedgerAccount.agency_id == agency_id,
                LedgerAccount.kind == AGENCY,
            ),
        )
        .join(ClientFact, ClientFact.client_id == LedgerTransfer.client_id)
        .where(
            LedgerTransfer.agency_id == agency_id,
            ClientFact.agency_id == agency_id,
            LedgerTransfer.kind == "usage",
            LedgerTransfer.recorded_on.between(first, last),
            ~billed,
        )
        .group_by(LedgerTransfer.client_id, ClientFact.name, LedgerTransfer.currency)
        .order_by(func.lower(ClientFact.name), LedgerTransfer.client_id)
    ).all()
    if not rows:
        return []
    service_id = usage_service_id(session, agency_id)
    by_card = _card_clients(session, agency_id)
    title = f"Usage {month_name(first)}"
    return [
        Draft(
            client_id=row.client_id,
            client_name=row.name,
            payment_method="card" if row.client_id in by_card else "check",
            currency=row.currency,
            lines=[
                Line(
                    service_id=service_id,
                    service_name=USAGE_SERVICE,
                    amount=with_markup(int(row.cost), markup),
                    description=title,
                    period_start=first,
                    period_end=last,
                )
            ],
            period_start=first,
            period_end=last,
            usage_month=first,
        )
        for row in rows
    ]


def agencies_with_usage_due(session: Session, utc_today: date) -> list[uuid.UUID]:
    """Agencies re-billing usage with agency-funded usage not yet billed in the month before
    some time zone's today (the hourly run then bills it as of the agency's own today)."""
    since = month_before(utc_today - timedelta(days=1))[0]
    until = (utc_today + timedelta(days=1)).replace(day=1)
    return list(
        session.scalars(
            text(
                "SELECT DISTINCT t.agency_id FROM ledger_transfers t "
                "JOIN balance_settings s ON s.agency_id = t.agency_id "
                "AND s.usage_rebilling <> 'off' "
                "JOIN ledger_accounts a ON a.id = t.from_account_id AND a.kind = 'agency' "
                "WHERE t.kind = 'usage' AND t.recorded_on >= :since AND t.recorded_on < :until "
                "AND NOT EXISTS (SELECT 1 FROM invoices i WHERE i.client_id = t.client_id "
                "AND i.usage_month = date_trunc('month', t.recorded_on)::date)"
            ),
            {"since": since, "until": until},
        )
    )
