"""The agency's access (identity/subscription.py): the trial's end, billing's events followed in
order, the trial reminder sent once, onboarding requests and deleting the agency."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from identity import principals, subscription
from identity.models import Agency, Base, User
from kit.db import utcnow
from kit.errors import PermissionDenied, ValidationError
from kit.tables import OutboxEvent


def agency_of(session, ctx) -> Agency:
    session.rollback()
    return session.get(Agency, ctx.agency)


def outbox(session, event_type: str) -> list[OutboxEvent]:
    session.rollback()
    rows = session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == event_type))
    return list(rows)


def test_a_trial_that_ran_out_is_read_only_and_a_running_one_is_not(session, call, owner):
    agency = agency_of(session, owner)
    assert subscription.access(agency) == {"subscription_status": "trialing", "read_only": False}
    later = agency.trial_ends_at + timedelta(seconds=1)
    assert subscription.access(agency, later) == {
        "subscription_status": "trial_ended",
        "read_only": True,
    }
    user = session.get(User, uuid.UUID(owner.principal_id))
    assert principals.principal(user)["read_only"] is False


def test_billing_events_are_followed_in_order_and_a_late_one_changes_nothing(session, call, owner):
    def event(version, status, plan="starter"):
        return {"agency_id": owner.agency_id, "version": version, "status": status, "plan": plan}

    call(subscription.follow_billing_event, event(2, "past_due"))
    call(subscription.follow_billing_event, event(1, "active", "agency"))  # arrives late
    agency = agency_of(session, owner)
    assert (agency.subscription_status, agency.plan_code) == ("past_due", "starter")
    call(subscription.follow_billing_event, event(3, "unpaid"))
    assert subscription.access(agency_of(session, owner))["read_only"] is True
    call(subscription.follow_billing_event, event(4, "bogus", "no-such-plan"))
    agency = agency_of(session, owner)
    assert (agency.subscription_status, agency.plan_code) == ("unpaid", "starter")


def test_the_trial_reminder_goes_three_days_before_and_once(session, call, owner, signup):
    signup(email="other@acme.test", agency_name="Other")  # its trial ends in 14 days
    now = utcnow()
    soon = agency_of(session, owner)
    soon.trial_ends_at = now + timedelta(days=2, hours=5)
    session.commit()
    assert call(subscription.send_trial_reminders, now) == 1
    assert call(subscription.send_trial_reminders, now) == 0
    (reminder,) = outbox(session, "trial_ending")
    assert reminder.payload["agency_id"] == owner.agency_id
    assert reminder.payload["email"] == "owner@acme.test" and reminder.payload["days_left"] == 3


def test_an_onboarding_request_names_who_asks(call, owner, session):
    with pytest.raises(ValidationError):
        call(subscription.request_onboarding, owner, "x" * 2001)
    assert call(subscription.request_onboarding, owner, " Help ", "+1 555") == {
        "requested": True,
        "email": "owner@acme.test",
    }
    (event,) = outbox(session, "onboarding_requested")
    assert (event.payload["message"], event.payload["phone"]) == ("Help", "+1 555")


def test_only_the_owner_deletes_the_agency_with_the_password_and_nothing_stays(
    session, call, owner, signup, add_user
):
    other, _ = signup(email="other@acme.test", agency_name="Other")
    admin, _ = add_user("admin@acme.test", "Admin")
    with pytest.raises(PermissionDenied):
        call(subscription.delete_agency, admin, "correct-horse-battery")
    with pytest.raises(ValidationError):
        call(subscription.delete_agency, owner, "not the password")
    assert call(subscription.delete_agency, owner, "correct-horse-battery")["deleted"] is True

    session.rollback()
    for table in Base.metadata.sorted_tables:
        if "agency_id" in table.c:
            left = session.scalar(
                select(func.count()).select_from(table).where(table.c.agency_id == owner.agency)
            )
            assert left == 0, table.name
    for model in (User, Agency):
        key = model.agency_id if model is User else model.id
        assert session.scalar(select(func.count()).where(key == other.agency)) >= 1
    assert session.get(Agency, owner.agency) is None
    assert (
        session.scalar(
            select(func.count())
            .select_from(OutboxEvent)
            .where(OutboxEvent.agency_id == owner.agency)
        )
        == 0
    )
    (deleted,) = outbox(session, "agency_deleted")
    assert deleted.payload["agency_id"] == owner.agency_id and deleted.agency_id is None
