"""The e-mails of the agency's own subscription: the trial's reminder, billing's subscription
events to the owner, and an onboarding request to the platform's staff."""

import uuid

import pytest

from notifications import subscription_emails
from notifications.emails import MalformedEvent
from notifications.mail import compose

PUBLIC_URL = "https://app.example.test"
OWNER = {"name": "Olive", "email": "olive@example.com", "is_owner": True}


def parts(email):
    message = compose(email, "Agency Platform <no-reply@agency.local>")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return message, text, html


def event(event_type, **fields):
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, **fields}


def test_the_trial_reminder_says_when_it_ends_and_links_to_the_plans():
    payload = event(
        "trial_ending",
        email="olive@example.com",
        name="Olive",
        agency_name="Acme",
        days_left=3,
        trial_ends_at="2026-12-02T10:00:00+00:00",
    )
    (email,) = subscription_emails.trial_ending(payload, PUBLIC_URL)
    message, text, html = parts(email)
    assert message["Subject"] == "Your free trial ends in 3 days"
    assert "2 Dec 2026" in text and f"{PUBLIC_URL}/settings/plan" in text
    assert "onboarding specialist" in html


def test_a_renewal_says_what_was_charged_for_how_many_users():
    payload = event(
        "subscription_renewed",
        plan_name="Growth",
        users=3,
        amount={"amount": 8700, "currency": "USD"},
        current_period_end="2027-01-01",
    )
    (email,) = subscription_emails.subscription_notice(payload, OWNER, PUBLIC_URL)
    message, text, _ = parts(email)
    assert message["To"].endswith("<olive@example.com>") or "olive@example.com" in message["To"]
    assert message["Subject"] == "Your subscription renewed"
    assert "87.00 USD (3 active users on Growth)" in text and "1 Jan 2027" in text


def test_a_failed_renewal_says_when_it_is_tried_again_or_that_the_agency_is_read_only():
    retry = event(
        "subscription_payment_failed",
        status="past_due",
        reason="Your card was declined.",
        next_retry_on="2027-01-02",
    )
    _, text, _ = parts(subscription_emails.subscription_notice(retry, OWNER, PUBLIC_URL)[0])
    assert "Your card was declined." in text and "2 Jan 2027" in text
    final = event("subscription_payment_failed", status="unpaid", reason="declined")
    message, text, _ = parts(subscription_emails.subscription_notice(final, OWNER, PUBLIC_URL)[0])
    assert message["Subject"] == "Your subscription could not be renewed"
    assert "read-only" in text


def test_a_notice_without_an_owner_is_kept_as_a_failed_event():
    with pytest.raises(MalformedEvent):
        subscription_emails.subscription_notice(event("subscription_started"), None, PUBLIC_URL)


def test_an_onboarding_request_reaches_the_staff_with_who_asked_escaped():
    payload = event(
        "onboarding_requested",
        agency_id=str(uuid.uuid4()),
        agency_name="Acme",
        name="Olive",
        email="olive@example.com",
        phone="+1 555",
        message="<b>help</b> us",
    )
    (email,) = subscription_emails.onboarding_requested(payload, "staff@platform.test", PUBLIC_URL)
    message, text, html = parts(email)
    assert "staff@platform.test" in message["To"]
    assert "olive@example.com" in text and "+1 555" in text and "<b>help</b> us" in text
    assert "&lt;b&gt;help&lt;/b&gt;" in html
