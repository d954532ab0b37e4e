"""E-mails about the agency's own subscription to the platform: the trial's end, billing's
subscription events (to the agency's owner) and a request for an onboarding specialist (to the
platform's staff address, `PLATFORM_STAFF_EMAIL`)."""

from __future__ import annotations

from notifications.emails import (
    Email,
    MalformedEvent,
    _required,
    date_text,
    link,
    money_text,
)


def trial_ending(payload: dict, public_url: str) -> list[Email]:
    """identity `trial_ending`: three days before, the owner hears what happens at the end."""
    email = _required(payload, "email")
    context = {
        "name": payload.get("name"),
        "agency_name": payload.get("agency_name"),
        "days_left": payload.get("days_left"),
        "trial_ends_text": date_text(payload.get("trial_ends_at")),
        "plan_url": link(public_url, "/settings/plan"),
        "email": email,
        "public_url": public_url,
    }
    return [Email("trial_ending", email, context, payload.get("name"))]


def _sentences(event_type: str, payload: dict) -> tuple[str, list[str]]:
    """(subject, paragraphs) of a subscription notice."""
    plan = payload.get("plan_name") or payload.get("plan") or "your plan"
    amount = money_text(payload.get("amount"))
    users = payload.get("users")
    period_end = date_text(payload.get("current_period_end"))
    charged = (
        f"We charged {amount} ({users} active user{'' if users == 1 else 's'} on {plan})."
        if amount and users
        else None
    )
    if event_type == "subscription_started":
        lines = [f"Your subscription to the {plan} plan has started.", charged]
        lines.append(f"It renews on {period_end}." if period_end else None)
        return "Your subscription has started", lines
    if event_type == "subscription_renewed":
        lines = ["Your subscription has renewed.", charged]
        lines.append(f"The next renewal is on {period_end}." if period_end else None)
        return "Your subscription renewed", lines
    if event_type == "subscription_upgraded":
        lines = [f"Your agency is now on the {plan} plan."]
        if amount:
            lines.append(f"We charged {amount} for the rest of the current period.")
        return "Your plan was upgraded", lines
    if event_type == "subscription_payment_failed":
        reason = payload.get("reason") or "the card was declined"
        retry = date_text(payload.get("next_retry_on"))
        lines = [f"We could not charge your card for the subscription renewal: {reason}."]
        if payload.get("status") == "unpaid":
            lines.append(
                "We have tried for the last time. Your agency is read-only until you subscribe "
                "again with a working card."
            )
            return "Your subscription could not be renewed", lines
        lines.append(f"We will try again on {retry}." if retry else None)
        lines.append("Update the card in Settings > Plan to avoid an interruption.")
        return "Your subscription payment failed", lines
    if event_type == "subscription_canceled":
        lines = [
            "Your subscription is canceled.",
            f"Your team keeps full access until {period_end}; after that the agency is "
            "read-only until you subscribe again."
            if period_end
            else None,
        ]
        return "Your subscription is canceled", lines
    if event_type == "subscription_ended":
        lines = [
            "Your canceled subscription has ended. Your team can still sign in and see "
            "everything, but nothing can change until you subscribe again."
        ]
        return "Your subscription has ended", lines
    raise MalformedEvent(f"no e-mail for {event_type}")


def subscription_notice(payload: dict, owner: dict | None, public_url: str) -> list[Email]:
    """billing `subscription_*`: a notice to the agency's owner (found by identity)."""
    if not owner or not owner.get("email"):
        raise MalformedEvent("the agency has no owner to tell")
    subject, lines = _sentences(str(payload.get("event_type")), payload)
    context = {
        "name": owner.get("name"),
        "email": owner["email"],
        "subject_line": subject,
        "lines": [line for line in lines if line],
        "plan_url": link(public_url, "/settings/plan"),
        "public_url": public_url,
    }
    return [Email("subscription_notice", owner["email"], context, owner.get("name"))]


def onboarding_requested(payload: dict, staff_email: str, public_url: str) -> list[Email]:
    """identity `onboarding_requested`: the platform's staff hear who asked and how to reply."""
    context = {
        "agency_name": payload.get("agency_name"),
        "agency_id": payload.get("agency_id"),
        "requester_name": payload.get("name"),
        "requester_email": _required(payload, "email"),
        "phone": payload.get("phone"),
        "message": (payload.get("message") or "").strip() or None,
        "subscription_status": payload.get("subscription_status"),
        "plan": payload.get("plan"),
        "public_url": public_url,
    }
    return [Email("onboarding_request", staff_email, context, "Onboarding")]
