"""The agency's subscription: card setup, subscribe, upgrade, cancel (renewals: renewals.py).

Rules (docs/contracts.md, "billing", "The platform subscription"):
- A period is 30 days from the day the subscription started (or last renewed). Subscribing
  charges the plan's price per user times the users active now; each renewal charges the price
  times the users active at the renewal (asked of identity then, outside any transaction), so
  staff added or removed between renewals cost nothing until the next one.
- Upgrading (a plan with a higher price per user) takes effect at once and charges
  `(new price - old price) * users active now * days left in the period / 30`, rounded half up
  to the minor unit (nothing when no day is left). A cheaper plan is not an upgrade: cancel and
  subscribe again after the period.
- Cancelling keeps everything until the period's end; the renewal due then ends it (`canceled`).
- A declined renewal makes the subscription `past_due` and is tried again on the retry days
  (`SUBSCRIPTION_RETRY_DAYS` after the period's end, default 1, 3, 5); when the last try fails
  it is `unpaid`, and identity makes the agency read-only, as after a trial, until it
  subscribes again (which voids the unpaid invoice and starts a new period).
- Every charge is a `PlatformCharge` recorded and committed before Stripe is called, with the key
  `platform-charge:{invoice_id}:{attempt}`; a try whose answer was lost stays `pending` and the
  next try of that invoice looks for the key's payment at Stripe before paying anew. A subscribe
  or an upgrade tried again settles its earlier try's invoice that way first, paying nothing: its
  payment found, that is the subscription (or upgrade); none, the invoice is void and a new one
  charged (`settle_earlier_tries`).
- Each change publishes an event with the subscription's `status`, `plan` and `version`
  (increasing), which identity follows.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from billing.facts.agencies import agency_today
from billing.invoicing.amounts import divide_half_up
from billing.payments.stripe_api import (
    DECLINED,
    PAID,
    UNKNOWN,
    CardCharge,
    card_summary,
    claim,
    may_be_under_way,
    new_card_setup,
)
from billing.settings import Settings
from billing.subscription import platform_stripe
from billing.subscription.models import PlatformCharge, PlatformInvoice, PlatformSubscription
from kit import permissions
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, PaymentFailed, ServiceUnavailable, ValidationError
from kit.money import Money
from kit.outbox import record_event

CYCLE_DAYS = 30
LIVE = ("active", "past_due")  # a subscription that renews


# --- shapes -------------------------------------------------------------------------------------


def subscription_dict(row: PlatformSubscription | None, settings: Settings) -> dict:
    if row is None:
        row = PlatformSubscription(status="none", price_per_user=0, currency="USD")
    return {
        "status": row.status,
        "plan": {"code": row.plan_code, "name": row.plan_name} if row.plan_code else None,
        "price_per_user": Money(row.price_per_user or 0, row.currency or "USD").to_dict(),
        "current_period_start": iso_date(row.current_period_start),
        "current_period_end": iso_date(row.current_period_end),
        "cancel_at_period_end": bool(row.cancel_at_period_end),
        "card": row.card_summary,
        "failed_renewals": row.failed_renewals or 0,
        "next_retry_on": iso_date(row.next_retry_on),
        "publishable_key": settings.platform_publishable_key,
    }


def iso_date(value) -> str | None:
    return value.isoformat() if value else None


def event_data(row: PlatformSubscription, **extra) -> dict:
    row.version = (row.version or 0) + 1
    return {
        "status": row.status,
        "plan": row.plan_code,
        "plan_name": row.plan_name,
        "price_per_user": Money(row.price_per_user, row.currency).to_dict(),
        "current_period_start": iso_date(row.current_period_start),
        "current_period_end": iso_date(row.current_period_end),
        "cancel_at_period_end": row.cancel_at_period_end,
        "version": row.version,
        **extra,
    }


# --- reads --------------------------------------------------------------------------------------


def get_subscription(session: Session, ctx: Context, settings: Settings) -> dict:
    """The agency's subscription (`status: none` before the first one); any team member."""
    ctx.require()
    return subscription_dict(session.get(PlatformSubscription, ctx.agency), settings)


# --- plans and users, from identity (outside any transaction) ----------------------------------


def plan_of(identity, ctx: Context, plan_code) -> dict:
    plans = identity.list_plans(ctx.to_dict())
    found = next((p for p in plans if isinstance(plan_code, str) and p["code"] == plan_code), None)
    if found is None:
        codes = ", ".join(p["code"] for p in plans)
        raise ValidationError("Choose one of the plans.", {"plan": f"Choose one of: {codes}."})
    return found


def active_users(identity, agency_id) -> int:
    ctx = Context.system(str(agency_id))
    return max(1, int(identity.get_entitlements(ctx.to_dict())["active_users"]))


# --- the card -----------------------------------------------------------------------------------


def start_card_setup(session: Session, ctx: Context, settings: Settings) -> dict:
    """A SetupIntent on the platform's account for the agency's customer (made on first use)."""
    ctx.require(permissions.MANAGE_SETTINGS)
    client = platform_stripe.platform_client(settings)
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency)
        customer_id = row.customer_id if row else None
    if customer_id is None:
        customer_id = client.v1.customers.create(
            params={"metadata": {"agency_id": str(ctx.agency)}},
            options={"idempotency_key": f"platform-customer:{ctx.agency}"},
        ).id
        with session.begin():
            session.execute(
                insert(PlatformSubscription)
                .values(
                    agency_id=ctx.agency,
                    status="none",
                    customer_id=customer_id,
                    price_per_user=0,
                    currency="USD",
                    cancel_at_period_end=False,
                    failed_renewals=0,
                    version=0,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                .on_conflict_do_nothing()
            )
            customer_id = session.get(PlatformSubscription, ctx.agency).customer_id
    return new_card_setup(client, customer_id, settings.platform_publishable_key)


def _confirmed_card(session: Session, ctx: Context, settings: Settings, setup_intent_id):
    """(payment method id, summary) of a SetupIntent Stripe.js confirmed for this agency."""
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency)
        customer_id = row.customer_id if row else None
    refused = ValidationError(
        "The card was not saved: the setup is not complete.",
        {"setup_intent_id": "Enter the card again."},
    )
    if customer_id is None or not isinstance(setup_intent_id, str) or not setup_intent_id:
        raise refused
    client = platform_stripe.platform_client(settings)
    try:
        intent = client.v1.setup_intents.retrieve(setup_intent_id)
    except platform_stripe.stripe.InvalidRequestError:
        raise refused from None
    if intent.status != "succeeded" or intent.customer != customer_id:
        raise refused
    method = client.v1.payment_methods.retrieve(intent.payment_method)
    return method.id, card_summary(method, unknown="card")


def update_card(session: Session, ctx: Context, settings: Settings, setup_intent_id) -> dict:
    """Charge another card from now on (a past-due renewal's next try uses it)."""
    ctx.require(permissions.MANAGE_SETTINGS)
    method_id, summary = _confirmed_card(session, ctx, settings, setup_intent_id)
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
        row.payment_method_id, row.card_summary = method_id, summary
        return subscription_dict(row, settings)


# --- invoices and charges -----------------------------------------------------------------------


def new_invoice(
    session: Session,
    row: PlatformSubscription,
    kind: str,
    plan: dict,
    users: int,
    unit_price: int,
    days: int,
    amount: int,
    start: date,
    end: date,
    today: date,
) -> PlatformInvoice:
    """A numbered invoice (the subscription row is locked: numbers are serial per agency)."""
    last = session.scalar(
        select(func.max(PlatformInvoice.number)).where(PlatformInvoice.agency_id == row.agency_id)
    )
    invoice = PlatformInvoice(
        id=uuid.uuid4(),
        agency_id=row.agency_id,
        number=(last or 0) + 1,
        kind=kind,
        plan_code=plan["code"],
        plan_name=plan["name"],
        users=users,
        unit_price=unit_price,
        days=days,
        amount=amount,
        currency=plan.get("currency") or "USD",
        period_start=start,
        period_end=end,
        status="open",
        issued_on=today,
    )
    session.add(invoice)
    session.flush()
    return invoice


def charge_key(invoice_id, attempt: int) -> str:
    return f"platform-charge:{invoice_id}:{attempt}"


def _charge_of(
    row: PlatformSubscription, invoice: PlatformInvoice, attempt: PlatformCharge, reconcile: bool
) -> CardCharge:
    return CardCharge(
        key=attempt.idempotency_key,
        customer_id=row.customer_id,
        payment_method_id=row.payment_method_id or "",
        amount=attempt.amount,
        currency=invoice.currency,
        metadata={"description": f"Platform invoice {invoice.number} ({invoice.plan_name})"},
        reconcile=reconcile,
    )


def charge_invoice(
    session: Session, settings: Settings, agency_id, invoice_id
) -> tuple[str, str | None]:
    """Charge one platform invoice with the agency's saved card: (outcome, decline reason). A
    try whose answer was lost is looked up at Stripe first (paid anew only if Stripe has no
    payment under its key); one made or claimed less than the Stripe timeout and a margin ago
    may still be waiting for Stripe elsewhere (two renewals at once): left to that call,
    UNKNOWN here."""
    with session.begin():
        invoice = session.get(PlatformInvoice, invoice_id, with_for_update=True)
        if invoice.status == "paid":
            return PAID, None
        if invoice.status == "void":
            return DECLINED, "The invoice was voided."
        row = session.get(PlatformSubscription, invoice.agency_id)
        if not row.payment_method_id:
            return DECLINED, "No card is saved."
        pending = session.scalar(
            select(PlatformCharge).where(
                PlatformCharge.invoice_id == invoice.id, PlatformCharge.status == "pending"
            )
        )
        if pending is not None and not claim(session, PlatformCharge, pending.id, settings):
            return UNKNOWN, None  # that try's call may still be waiting for Stripe: left to it
        reconcile = pending is not None
        if pending is None:
            number = 1 + session.scalar(
                select(func.count()).where(PlatformCharge.invoice_id == invoice.id)
            )
            pending = PlatformCharge(
                id=uuid.uuid4(),
                agency_id=invoice.agency_id,
                invoice_id=invoice.id,
                attempt=number,
                idempotency_key=charge_key(invoice.id, number),
                amount=invoice.amount,
            )
            session.add(pending)
        attempt_id = pending.id
        charge = _charge_of(row, invoice, pending, reconcile)
    outcome, intent_id, reason = platform_stripe.charge_card(settings, charge)
    if outcome == UNKNOWN:
        return UNKNOWN, None
    with session.begin():
        _record_charge(session, attempt_id, invoice_id, outcome, intent_id, reason)
    return outcome, reason


def _record_charge(session: Session, attempt_id, invoice_id, outcome, intent_id, reason) -> None:
    """Stripe's answer on the try and its invoice (once: a try settled meanwhile is kept)."""
    attempt = session.get(PlatformCharge, attempt_id, with_for_update=True)
    invoice = session.get(PlatformInvoice, invoice_id, with_for_update=True)
    if attempt.status != "pending":
        return
    attempt.payment_intent_id, attempt.finished_at = intent_id, utcnow()
    if outcome == PAID:
        attempt.status = "succeeded"
        invoice.status, invoice.paid_at, invoice.failure_reason = "paid", utcnow(), None
    else:
        attempt.status, attempt.failure_reason = "failed", reason
        if invoice.status != "paid":
            invoice.status, invoice.failure_reason = "failed", reason


def _refuse_unknown() -> ServiceUnavailable:
    return ServiceUnavailable(
        "Stripe did not answer; please try again in a moment (you will not be charged twice).",
        {"service": "stripe"},
    )


UNSETTLED = ("open", "failed")  # a subscribe's or an upgrade's invoice neither paid nor void


def settle_earlier_tries(session: Session, settings: Settings, agency_id, kind: str):
    """Before a subscribe or an upgrade (`kind`) charges anew: its earlier tries, whose answer
    was lost (their invoice neither paid nor void), are looked up at Stripe, never paid again.
    The id of the invoice an earlier try paid (that try stands: the agency was charged for it),
    else None, every earlier invoice void. A try that may still be under way (made or claimed
    less than the Stripe timeout and a margin ago: the same request twice at once) is left to
    its call: ServiceUnavailable, as when Stripe does not answer the look-up."""
    with session.begin():
        row = session.get(PlatformSubscription, agency_id)
        earlier = session.scalars(
            select(PlatformInvoice)
            .where(
                PlatformInvoice.agency_id == agency_id,
                PlatformInvoice.kind == kind,
                PlatformInvoice.status.in_(UNSETTLED),
            )
            .order_by(PlatformInvoice.number)
            .with_for_update()
        ).all()
        lookups = []
        for invoice in earlier:
            pending = session.scalar(
                select(PlatformCharge).where(
                    PlatformCharge.invoice_id == invoice.id, PlatformCharge.status == "pending"
                )
            )
            if pending is None:  # declined, or never sent: nothing of it is at Stripe
                if may_be_under_way(invoice.created_at, settings):  # its try not made yet
                    raise _refuse_unknown()
                invoice.status = "void"
            elif not claim(session, PlatformCharge, pending.id, settings):
                raise _refuse_unknown()
            else:
                lookups.append((pending.id, invoice.id, _charge_of(row, invoice, pending, True)))
    paid = None
    for attempt_id, invoice_id, charge in lookups:
        outcome, intent_id, reason = platform_stripe.look_up_charge(settings, charge)
        if outcome == UNKNOWN:
            raise _refuse_unknown()
        with session.begin():
            _record_charge(session, attempt_id, invoice_id, outcome, intent_id, reason)
            invoice = session.get(PlatformInvoice, invoice_id)
            if invoice.status == "paid":
                paid = paid or invoice_id
            else:
                invoice.status = "void"
    return paid


def _refuse_if_under_way(session: Session, agency_id, kind: str) -> None:
    """Another subscribe or upgrade's charge is on its way (its invoice made since the earlier
    tries were settled): left to it, as a try under way is."""
    other = session.scalar(
        select(PlatformInvoice.id).where(
            PlatformInvoice.agency_id == agency_id,
            PlatformInvoice.kind == kind,
            PlatformInvoice.status.in_(UNSETTLED),
        )
    )
    if other is not None:
        raise _refuse_unknown()


def _declined(session: Session, invoice_id, reason: str | None) -> PaymentFailed:
    with session.begin():
        session.get(PlatformInvoice, invoice_id, with_for_update=True).status = "void"
    return PaymentFailed(f"The card was declined: {reason}", {"card": reason})


# --- subscribe, upgrade, cancel -----------------------------------------------------------------


def _refuse_if_live(row: PlatformSubscription | None) -> None:
    if row is not None and row.status in LIVE:
        raise Conflict("The agency is already subscribed; upgrade or cancel instead.")


def subscribe(
    session: Session, ctx: Context, identity, settings: Settings, plan_code, setup_intent_id
) -> dict:
    """Subscribe with the card Stripe.js just confirmed: the first period is charged at once. A
    subscribe tried again after a lost answer first settles the earlier try: paid at Stripe,
    that payment is the subscription (with its plan); otherwise it is void and charged anew."""
    ctx.require(permissions.MANAGE_SETTINGS)
    plan = plan_of(identity, ctx, plan_code)
    users = active_users(identity, ctx.agency)
    with session.begin():
        _refuse_if_live(session.get(PlatformSubscription, ctx.agency))
    method_id, summary = _confirmed_card(session, ctx, settings, setup_intent_id)
    price = int(plan["price_per_user"]["amount"])
    currency = plan["price_per_user"].get("currency") or "USD"
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
        row.payment_method_id, row.card_summary = method_id, summary
    invoice_id = settle_earlier_tries(session, settings, ctx.agency, "subscription")
    if invoice_id is None:
        with session.begin():
            row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
            _refuse_if_live(row)
            _refuse_if_under_way(session, ctx.agency, "subscription")
            today = agency_today(session, ctx)
            invoice_id = new_invoice(
                session,
                row,
                "subscription",
                {**plan, "currency": currency},
                users,
                price,
                CYCLE_DAYS,
                price * users,
                today,
                today + timedelta(days=CYCLE_DAYS),
                today,
            ).id
        outcome, reason = charge_invoice(session, settings, ctx.agency, invoice_id)
        if outcome == UNKNOWN:
            raise _refuse_unknown()
        if outcome == DECLINED:
            raise _declined(session, invoice_id, reason)
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
        if row.status in LIVE:  # the same earlier try settled by a retry at once: done there
            return subscription_dict(row, settings)
        invoice = session.get(PlatformInvoice, invoice_id)
        row.status, row.plan_code, row.plan_name = "active", invoice.plan_code, invoice.plan_name
        row.price_per_user, row.currency = invoice.unit_price, invoice.currency
        row.current_period_start, row.current_period_end = invoice.period_start, invoice.period_end
        row.cancel_at_period_end, row.canceled_at = False, None
        row.failed_renewals, row.next_retry_on = 0, None
        # An unpaid renewal is not owed any more: the new period started today.
        session.execute(
            update(PlatformInvoice)
            .where(
                PlatformInvoice.agency_id == ctx.agency,
                PlatformInvoice.kind == "renewal",
                PlatformInvoice.status.in_(UNSETTLED),
            )
            .values(status="void")
        )
        record_event(
            session,
            ctx,
            "subscription_started",
            event_data(
                row,
                users=invoice.users,
                amount=invoice_money(invoice),
                invoice_id=str(invoice_id),
            ),
        )
        return subscription_dict(row, settings)


def invoice_money(invoice: PlatformInvoice) -> dict:
    return Money(invoice.amount, invoice.currency).to_dict()


def upgrade_amount(old_price: int, new_price: int, users: int, days_left: int) -> int:
    """What an upgrade costs now: the price difference for the days left, per active user."""
    if days_left <= 0:
        return 0
    return divide_half_up((new_price - old_price) * users * days_left, CYCLE_DAYS)


def _upgradable(row: PlatformSubscription | None, plan: dict, price: int) -> None:
    if row is None or row.status != "active":
        raise Conflict("Subscribe first: only an active subscription can be upgraded.")
    if price <= row.price_per_user:
        raise ValidationError(
            "Choose a plan that costs more per user than your plan.",
            {"plan": f"{plan['name']} is not an upgrade of {row.plan_name}."},
        )


def upgrade(session: Session, ctx: Context, identity, settings: Settings, plan_code) -> dict:
    """A plan with a higher price per user, at once; the rest of the period charged now. An
    upgrade tried again after a lost answer first settles the earlier try, as subscribe does."""
    ctx.require(permissions.MANAGE_SETTINGS)
    plan = plan_of(identity, ctx, plan_code)
    users = active_users(identity, ctx.agency)
    price = int(plan["price_per_user"]["amount"])
    with session.begin():
        _upgradable(session.get(PlatformSubscription, ctx.agency), plan, price)
    paid_earlier = settle_earlier_tries(session, settings, ctx.agency, "upgrade")
    invoice_id = paid_earlier
    if paid_earlier is None:
        with session.begin():
            row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
            _upgradable(row, plan, price)
            _refuse_if_under_way(session, ctx.agency, "upgrade")
            today = agency_today(session, ctx)
            days_left = (row.current_period_end - today).days
            amount = upgrade_amount(row.price_per_user, price, users, days_left)
            if amount > 0:
                invoice_id = new_invoice(
                    session,
                    row,
                    "upgrade",
                    {**plan, "currency": row.currency},
                    users,
                    price - row.price_per_user,
                    days_left,
                    amount,
                    today,
                    row.current_period_end,
                    today,
                ).id
        if invoice_id is not None:
            outcome, reason = charge_invoice(session, settings, ctx.agency, invoice_id)
            if outcome == UNKNOWN:
                raise _refuse_unknown()
            if outcome == DECLINED:
                raise _declined(session, invoice_id, reason)
    with session.begin():
        row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
        if paid_earlier is not None:  # the earlier try paid for its plan: that is the upgrade
            invoice = session.get(PlatformInvoice, paid_earlier)
            if row.plan_code == invoice.plan_code:  # applied by a retry at once
                return subscription_dict(row, settings)
            plan = {"code": invoice.plan_code, "name": invoice.plan_name}
            price = row.price_per_user + invoice.unit_price
            users, amount = invoice.users, invoice.amount
        row.plan_code, row.plan_name, row.price_per_user = plan["code"], plan["name"], price
        record_event(
            session,
            ctx,
            "subscription_upgraded",
            event_data(
                row,
                users=users,
                amount=Money(amount, row.currency).to_dict(),
                invoice_id=str(invoice_id) if invoice_id else None,
            ),
        )
        return subscription_dict(row, settings)


def cancel(session: Session, ctx: Context, settings: Settings) -> dict:
    """Cancel at the period's end (idempotent): nothing more is charged, access lasts till then."""
    ctx.require(permissions.MANAGE_SETTINGS)
    row = session.get(PlatformSubscription, ctx.agency, with_for_update=True)
    if row is None or row.status not in LIVE:
        raise Conflict("There is no subscription to cancel.")
    if not row.cancel_at_period_end:
        row.cancel_at_period_end, row.canceled_at = True, utcnow()
        record_event(session, ctx, "subscription_canceled", event_data(row))
    return subscription_dict(row, settings)
