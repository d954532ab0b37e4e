"""The one place a read-only agency's changes are refused, for every page and API call.

Identity puts the agency's access in every principal (`subscription_status`, `read_only`): an
agency whose trial ended without a subscription, whose renewal failed past its retries, or whose
canceled subscription ran out may sign in and read everything, but any request that could change
something (any method but GET, HEAD, OPTIONS) is refused with `SubscriptionRequired` (402,
`subscription_required`) until it chooses: subscribe, delete the account, or ask for an
onboarding specialist. The views for those choices (and signing out) are marked
`@allowed_when_read_only`.
"""

from __future__ import annotations

from flask import current_app, g, request

from kit.errors import SubscriptionRequired

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSAL = (
    "Your agency is read-only: {reason}. Subscribe in Settings > Plan to make changes again, "
    "delete the account, or ask for an onboarding specialist."
)
REASONS = {
    "trial_ended": "its free trial has ended",
    "unpaid": "its subscription could not be renewed",
    "canceled": "its subscription has ended",
}


def allowed_when_read_only(view):
    """Mark a view a read-only agency may still post to (the ways out of that state)."""
    view.allowed_when_read_only = True
    return view


def refuse_changes_when_read_only() -> None:
    """Raise SubscriptionRequired for a change by a read-only agency's user or portal contact."""
    who = g.get("principal")
    if not who or not who.get("read_only") or request.method in SAFE_METHODS:
        return
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "allowed_when_read_only", False):
        return
    status = who.get("subscription_status")
    reason = REASONS.get(status, "it has no subscription")
    raise SubscriptionRequired(REFUSAL.format(reason=reason), {"subscription_status": status})
