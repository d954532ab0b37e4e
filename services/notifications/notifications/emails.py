"""What e-mail each event becomes: recipients, template and the values the template shows.

Plain functions of the event payload (and, for requests, the managers identity returned). They
are tolerant of optional fields that are missing; an event without a recipient raises, so it is
kept as a failed event rather than dropped.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from kit.events import PermanentFailure
from kit.money import Money
from kit.permissions import MANAGE_BILLING

PORTAL_KIND = "contact"


@dataclass(frozen=True)
class Email:
    """One e-mail to send: `template` names the pair of files in templates/."""

    template: str
    to: str
    context: dict[str, Any] = field(default_factory=dict)
    to_name: str | None = None
    # (filename, MIME type, bytes) of each file attached (an invoice's PDF).
    attachments: tuple[tuple[str, str, bytes], ...] = ()
    # (content id, MIME type, bytes) of each image the HTML shows inline (the agency's logo).
    inline_images: tuple[tuple[str, str, bytes], ...] = ()


class MalformedEvent(PermanentFailure):
    """The event lacks what the e-mail needs; retrying will not help, a person should look."""


def password_reset(payload: dict, public_url: str) -> list[Email]:
    """identity `password_reset_requested`: a single-use link, for a team user or a contact."""
    email = _required(payload, "email")
    token = _required(payload, "reset_token", "token")
    portal = payload.get("kind") == PORTAL_KIND
    path = "/portal/reset-password" if portal else "/reset-password"
    context = {
        "name": payload.get("name"),
        "email": email,
        "portal": portal,
        "link": link(public_url, path, token=token),
        "expires_text": expires_text(payload.get("expires_at")),
        "public_url": public_url,
    }
    return [Email("password_reset", email, context, payload.get("name"))]


def user_created(payload: dict, public_url: str) -> list[Email]:
    """identity `user_created`: the new user confirms their address by the link in it, choosing
    a password when invited (`set_password_token`) or keeping the one they were given. No token:
    another agency's user has the address, and identity sent that user a notice instead."""
    email = _required(payload, "email")
    name = payload.get("name")
    token = payload.get("confirm_token") or payload.get("set_password_token")
    if not token:
        return []
    context = {
        "name": name,
        "email": email,
        "agency_name": payload.get("agency_name"),
        "public_url": public_url,
        # identity sends the inviter's name as `invited_by`.
        "inviter_name": _name_of(payload.get("invited_by")) or payload.get("inviter_name"),
        "expires_text": expires_text(payload.get("expires_at")),
        "role_name": _name_of(payload.get("role")) or payload.get("role_name"),
    }
    if payload.get("set_password_token"):
        context["link"] = link(public_url, "/invitations/accept", token=token)
        return [Email("user_invitation", email, context, name)]
    context["link"] = link(public_url, "/invitations/confirm", token=token)
    return [Email("user_welcome", email, context, name)]


def user_email_change_requested(payload: dict, public_url: str) -> list[Email]:
    """identity `user_email_change_requested`: the link that makes the new address the login
    (none when another agency's user has it: that user got a notice)."""
    email = _required(payload, "email")
    token = payload.get("confirm_token")
    if not token:
        return []
    context = {
        "name": payload.get("name"),
        "email": email,
        "agency_name": payload.get("agency_name"),
        "link": link(public_url, "/invitations/confirm", token=token),
        "expires_text": expires_text(payload.get("expires_at")),
        "public_url": public_url,
    }
    return [Email("user_email_confirm", email, context, payload.get("name"))]


def user_address_in_use_elsewhere(payload: dict, public_url: str) -> list[Email]:
    """identity `user_address_in_use_elsewhere`: another agency tried to add this user's address
    to its team; the address's owner hears of it (the other agency learns nothing)."""
    email = _required(payload, "email")
    context = {
        "name": payload.get("name"),
        "email": email,
        "agency_name": payload.get("agency_name"),
        "other_agency_name": payload.get("other_agency_name"),
        "login_url": link(public_url, "/login"),
        "public_url": public_url,
    }
    return [Email("user_address_in_use", email, context, payload.get("name"))]


def user_deactivated(payload: dict, public_url: str) -> list[Email]:
    """identity `user_deactivated`: the user's access ended, their sessions and API tokens with
    it. Nothing for an address never confirmed (it may not be theirs)."""
    email = _required(payload, "email")
    if payload.get("email_confirmed") is False:
        return []
    context = {
        "name": payload.get("name"),
        "email": email,
        "agency_name": payload.get("agency_name"),
        "ended_text": expires_text(payload.get("occurred_at")),
        "public_url": public_url,
    }
    return [Email("user_deactivated", email, context, payload.get("name"))]


# What the security notice says about how the password was changed, by the event's `reason`.
PASSWORD_CHANGE_REASONS = {
    "reset": "It was changed with a password reset link sent to this address.",
    "changed": "It was changed from the account's settings, with the old password.",
    "set_by_admin": "An administrator of your agency set it for you.",
}


def password_changed(payload: dict, public_url: str) -> list[Email]:
    """identity `password_changed`: a security notice to the account's owner, with a way back
    in (a reset link request) should it not have been them."""
    email = _required(payload, "email")
    portal = payload.get("kind") == PORTAL_KIND
    forgot_path = "/portal/forgot-password" if portal else "/forgot-password"
    context = {
        "name": payload.get("name"),
        "email": email,
        "portal": portal,
        "agency_name": payload.get("agency_name"),
        "changed_text": expires_text(payload.get("occurred_at")),
        "reason_text": PASSWORD_CHANGE_REASONS.get(payload.get("reason")),
        "tokens_revoked": payload.get("tokens_revoked") or 0,
        "forgot_link": link(public_url, forgot_path),
        "public_url": public_url,
    }
    return [Email("password_changed", email, context, payload.get("name"))]


def signup_requested(payload: dict, public_url: str) -> list[Email]:
    """identity `signup_requested`: the link that creates the agency once opened."""
    email = _required(payload, "email")
    token = _required(payload, "confirm_token")
    context = {
        "name": payload.get("name"),
        "email": email,
        "agency_name": payload.get("agency_name"),
        "link": link(public_url, "/signup/confirm", token=token),
        "expires_text": expires_text(payload.get("expires_at")),
        "public_url": public_url,
    }
    return [Email("signup_confirm", email, context, payload.get("name"))]


def signup_existing_account(payload: dict, public_url: str) -> list[Email]:
    """identity `signup_existing_account`: someone signed up with an address that has an
    account; its owner hears of it (and only they: the signup answer says nothing)."""
    email = _required(payload, "email")
    context = {
        "name": payload.get("name"),
        "email": email,
        "login_url": link(public_url, "/login"),
        "forgot_link": link(public_url, "/forgot-password"),
        "public_url": public_url,
    }
    return [Email("signup_existing_account", email, context, payload.get("name"))]


def agency_signed_up(payload: dict, public_url: str) -> list[Email]:
    """identity `agency_signed_up`: a welcome to the new agency's owner, with the trial's end."""
    email = _required(payload, "email")
    context = {
        "name": payload.get("name"),
        "email": email,
        "agency_name": payload.get("agency_name"),
        "trial_ends_text": date_text(payload.get("trial_ends_at")),
        "login_url": link(public_url, "/login"),
        "public_url": public_url,
    }
    return [Email("agency_welcome", email, context, payload.get("name"))]


def contact_invited(payload: dict, public_url: str, brand: dict | None = None) -> list[Email]:
    """clients `contact_invited`: the portal invitation, with the agency's own words if any,
    in the agency's colours (`brand`: identity's `get_branding`) when it has set them."""
    contact = payload.get("contact") or {}
    email = _required({**contact, **payload}, "contact_email", "email")
    token = _required(payload, "invitation_token", "token")
    name = payload.get("contact_name") or payload.get("name") or contact.get("name")
    context = {
        "name": name,
        "email": email,
        "client_name": payload.get("client_name") or _name_of(payload.get("client")),
        "agency_name": payload.get("agency_name") or _name_of(payload.get("agency")),
        "message": (payload.get("message") or "").strip() or None,
        "link": link(public_url, "/portal/invitations/accept", token=token),
        "expires_text": expires_text(payload.get("expires_at")),
        "public_url": public_url,
        "brand": brand_context(brand),
    }
    return [Email("contact_invitation", email, context, name)]


# The e-mails an agency sends its clients: they wear its brand (name, colour, logo).
CLIENT_TEMPLATES = frozenset(
    {
        "contact_invitation",
        "request_reply",
        "request_status_changed",
        "invoice_receipt",
        "invoice_failed_client",
        "invoice_issued",
    }
)
LOGO_CID = "agency-logo"
LOGO_TYPES = frozenset({"image/png", "image/jpeg"})


def brand_context(brand: dict | None, logo: bool = False) -> dict | None:
    """The e-mail header's brand: the agency's name, a checked `#rrggbb` colour and, when the
    e-mail carries the logo inline, its content id."""
    if not isinstance(brand, dict):
        return None
    color = brand.get("color")
    if not (isinstance(color, str) and re.fullmatch(r"#[0-9a-fA-F]{6}", color)):
        color = None
    name = brand.get("agency_name") or None
    if not (name or color or logo):
        return None
    shown = {"agency_name": name, "color": color}
    return shown | {"logo_cid": LOGO_CID} if logo else shown


def logo_image(logo: dict | None) -> tuple[str, str, bytes] | None:
    """identity's `get_agency_logo` answer as an inline image; None for none or a malformed one."""
    if not isinstance(logo, dict) or logo.get("content_type") not in LOGO_TYPES:
        return None
    try:
        return (LOGO_CID, logo["content_type"], base64.b64decode(logo["data_base64"]))
    except (KeyError, TypeError, ValueError):
        return None


def with_brand(emails: list[Email], brand: dict | None, logo: dict | None = None) -> list[Email]:
    """The agency's client-facing e-mails among `emails` in its brand: name and colour in the
    header, and its logo as an inline image (`cid:`) when identity gave one."""
    image = logo_image(logo)
    shown = brand_context(brand, logo=image is not None)
    return [
        replace(
            email,
            context={**email.context, "brand": shown},
            inline_images=(image,) if image else (),
        )
        if email.template in CLIENT_TEMPLATES
        else email
        for email in emails
    ]


def request_created(payload: dict, managers: list[dict], public_url: str) -> list[Email]:
    """clients `request_created`: one e-mail to each active account manager of the client."""
    request = payload.get("request") if isinstance(payload.get("request"), dict) else {}
    context = {
        "client_name": payload.get("client_name") or _name_of(payload.get("client")),
        "title": payload.get("title") or payload.get("request_title") or request.get("title"),
        "description": payload.get("description")
        or payload.get("request_description")
        or request.get("description"),
        "requested_by": payload.get("requested_by_name") or payload.get("contact_name"),
        "service_name": payload.get("service_name"),
        "link": link(public_url, _team_request_path(payload)),
        "public_url": public_url,
    }
    return [
        Email("request_created", address, {**context, "name": name}, name)
        for address, name in recipients(managers)
    ]


def _team_request_path(payload: dict) -> str:
    request_id = payload.get("client_request_id")
    return f"/requests/{request_id}" if request_id else "/requests"


def _request_context(payload: dict, public_url: str) -> dict:
    """What every request e-mail shows: the client, the request's title, who wrote. Never the
    comment's text: it may hold what should stay behind a login (the link leads to it)."""
    return {
        "client_name": payload.get("client_name"),
        "title": payload.get("title"),
        "author_name": payload.get("author_name"),
        "attachment_count": payload.get("attachment_count") or 0,
        "public_url": public_url,
    }


def money_text(value: Any) -> str:
    """`{"amount": 4500, "currency": "USD"}` as `45.00 USD`, as the pages show money
    (`kit.money.Money.format`); "" for a value that is not an amount."""
    if not isinstance(value, dict) or not isinstance(value.get("amount"), int):
        return ""
    return Money(value["amount"], value.get("currency") or "USD").format()


def _invoice_context(payload: dict, public_url: str) -> dict:
    return {
        "number": payload.get("number"),
        "client_name": payload.get("client_name"),
        "agency_name": payload.get("agency_name"),
        "total_text": money_text(payload.get("total")),
        "issued_on": payload.get("issued_on"),
        "due_on": payload.get("due_on"),
        "portal_link": link(public_url, "/portal/invoices"),
        "public_url": public_url,
    }


def request_reply(payload: dict, public_url: str) -> list[Email]:
    """clients `request_comment_added` by a team member: to the request's contact, a link to the
    request in the portal. A request with no (live) contact tells nobody."""
    email = (payload.get("contact_email") or "").strip()
    if not email:
        return []
    request_id = _required(payload, "client_request_id")
    context = {
        **_request_context(payload, public_url),
        "name": payload.get("contact_name"),
        "link": link(public_url, f"/portal/requests/{request_id}"),
    }
    return [Email("request_reply", email, context, payload.get("contact_name"))]


def request_comment(payload: dict, users: list[dict], public_url: str) -> list[Email]:
    """clients `request_comment_added` by the client's contact: to each active team member
    given (the assignee, else the account managers, else who manages client requests)."""
    context = {
        **_request_context(payload, public_url),
        "link": link(public_url, _team_request_path(payload)),
    }
    return [
        Email("request_comment", address, {**context, "name": name}, name)
        for address, name in recipients(users)
    ]


def request_assigned(payload: dict, users: list[dict], public_url: str) -> list[Email]:
    """clients `request_assigned`: the new assignee (active, and not the one who assigned it)
    gets a link to the request."""
    context = {
        **_request_context(payload, public_url),
        "link": link(public_url, _team_request_path(payload)),
    }
    return [
        Email(
            "request_assigned",
            user["email"],
            {**context, "name": user.get("name")},
            user.get("name"),
        )
        for user in users
        if user.get("email") and is_active(user) and user.get("id") != payload.get("assigned_by")
    ]


STATUS_WORDS = {
    "open": "open",
    "in_progress": "in progress",
    "done": "done",
    "cancelled": "cancelled",
}


def request_status_changed(payload: dict, public_url: str) -> list[Email]:
    """clients `request_status_changed`: the request's contact hears its new status."""
    email = (payload.get("contact_email") or "").strip()
    if not email:
        return []
    request_id = _required(payload, "client_request_id")
    status = payload.get("status") or ""
    context = {
        **_request_context(payload, public_url),
        "name": payload.get("contact_name"),
        "status_text": STATUS_WORDS.get(status, status.replace("_", " ")),
        "link": link(public_url, f"/portal/requests/{request_id}"),
    }
    return [Email("request_status_changed", email, context, payload.get("contact_name"))]


def _billing_contact(payload: dict) -> tuple[str | None, str | None]:
    """The client's billing contact the event names (billing keeps it from the clients
    service: the chosen contact, else the client's first one), or (None, None)."""
    email = payload.get("billing_email")
    if not isinstance(email, str) or not email.strip():
        return None, None
    return email.strip(), payload.get("billing_contact")


def invoice_paid(payload: dict, public_url: str) -> list[Email]:
    """billing `invoice_paid`: a receipt to the client's billing contact (none: no e-mail)."""
    email, name = _billing_contact(payload)
    if email is None:
        return []
    context = _invoice_context(payload, public_url) | {
        "name": name,
        "paid_method": (payload.get("paid_method") or "").replace("_", " "),
        "paid_reference": payload.get("paid_reference"),
    }
    return [Email("invoice_receipt", email, context, name)]


def invoice_failed(payload: dict, agency_users: list[dict], public_url: str) -> list[Email]:
    """billing `invoice_failed`: one e-mail to the agency (its owner and the active users who
    may manage billing) and one to the client's billing contact with the card-update link."""
    context = _invoice_context(payload, public_url) | {"reason": payload.get("reason")}
    emails = []
    for address, name in recipients(agency_users):
        team_context = context | {
            "name": name,
            "invoice_link": link(public_url, f"/billing/invoices/{payload.get('invoice_id')}"),
        }
        emails.append(Email("invoice_failed_agency", address, team_context, name))
    email, name = _billing_contact(payload)
    token = payload.get("card_update_token")
    if email is not None and token:
        client_context = context | {
            "name": name,
            "link": link(public_url, "/pay/card", token=token),
            "expires_text": expires_text(payload.get("card_update_expires_at")),
        }
        emails.append(Email("invoice_failed_client", email, client_context, name))
    return emails


def stripe_key_refused(payload: dict, agency_users: list[dict], public_url: str) -> list[Email]:
    """billing `stripe_key_refused`: the agency's owner and the active users who may manage
    billing hear that Stripe refused its secret key, once per refusal, with the page to enter a
    new one (card invoices wait open until then)."""
    context = {
        "secret_key_last4": payload.get("secret_key_last4"),
        "link": link(public_url, "/settings/payments"),
        "public_url": public_url,
    }
    return [
        Email("stripe_key_refused", address, context | {"name": name}, name)
        for address, name in recipients(agency_users)
    ]


def invoice_issued(payload: dict, pdf: dict | None, public_url: str) -> list[Email]:
    """billing `invoice_issued` of a check client: the invoice, its PDF attached, to the
    client's billing contact (card invoices are charged instead: a receipt follows)."""
    email, name = _billing_contact(payload)
    if payload.get("payment_method") != "check" or email is None or pdf is None:
        return []
    context = _invoice_context(payload, public_url) | {"name": name}
    attachment = (pdf["filename"], "application/pdf", base64.b64decode(pdf["content_base64"]))
    return [Email("invoice_issued", email, context, name, attachments=(attachment,))]


def billing_recipients(users: list[dict], roles: list[dict]) -> list[dict]:
    """The agency's active users who hear about its billing: the owner and every user whose
    role has manage_billing."""
    billing_roles = {r["id"] for r in roles if MANAGE_BILLING in (r.get("permissions") or [])}
    return [
        u
        for u in users
        if is_active(u) and (u.get("is_owner") or (u.get("role") or {}).get("id") in billing_roles)
    ]


def recipients(users: list[dict]) -> list[tuple[str, str | None]]:
    """(address, name) of each active user with an address, each address once (compared
    lower-cased), in the order given."""
    found, seen = [], set()
    for user in users:
        address = (user.get("email") or "").strip()
        if address and is_active(user) and address.lower() not in seen:
            seen.add(address.lower())
            found.append((address, user.get("name")))
    return found


def is_active(user: dict) -> bool:
    """A user identity reports as active (`status`, or `is_active` in older shapes)."""
    if "status" in user:
        return user["status"] == "active"
    return user.get("is_active", True) is not False


def link(public_url: str, path: str, **query: str) -> str:
    """An absolute link into the web app, e.g. `link(url, "/reset-password", token=...)`."""
    url = public_url.rstrip("/") + path
    return f"{url}?{urlencode(query)}" if query else url


def expires_text(value: Any) -> str | None:
    """`at 14:05 UTC on 22 Nov 2026` for an ISO timestamp, None when absent or unreadable."""
    moment = _moment(value)
    if moment is None:
        return None
    return f"at {moment:%H:%M} UTC on {moment.day} {moment:%b %Y}"


def date_text(value: Any) -> str | None:
    """`22 Nov 2026` (UTC) for an ISO timestamp, None when absent or unreadable."""
    moment = _moment(value)
    return f"{moment.day} {moment:%b %Y}" if moment else None


def _moment(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _required(payload: dict, *keys: str) -> str:
    for key in keys:
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    raise MalformedEvent(f"the event has no {' or '.join(keys)}")


def _name_of(value: Any) -> str | None:
    """`value["name"]` for a nested object, the value itself for a plain string."""
    if isinstance(value, dict):
        return value.get("name")
    return value if isinstance(value, str) else None


# Balances (billing) ------------------------------------------------------------------------------


def funding_request_sent(payload: dict, public_url: str) -> list[Email]:
    """billing `funding_request_sent`: the customer's secure link to fund its own usage."""
    email = _required(payload, "email")
    token = _required(payload, "token")
    context = {
        "client_name": payload.get("client_name"),
        "agency_name": payload.get("agency_name"),
        "starting_balance": money_text(payload.get("starting_balance")),
        "message": (payload.get("message") or "").strip() or None,
        "link": link(public_url, "/fund", token=token),
        "expires_text": expires_text(payload.get("expires_at")),
        "email": email,
        "public_url": public_url,
    }
    return [Email("funding_request", email, context)]


def balance_notice(payload: dict, owners: list[dict], public_url: str) -> list[Email]:
    """billing `balance_low` / `balance_exhausted`: the agency's active owners hear of it."""
    exhausted = payload.get("event_type") == "balance_exhausted"
    context = {
        "exhausted": exhausted,
        "account": payload.get("account") or payload.get("funded_by"),
        "client_name": payload.get("client_name"),
        "balance": money_text(payload.get("balance")),
        "threshold": money_text(payload.get("threshold")),
        "refused": money_text(payload.get("refused")),
        "link": link(public_url, "/settings/accounts"),
        "public_url": public_url,
    }
    owners = [user for user in owners if user.get("is_owner")]
    return [
        Email("balance_notice", address, {**context, "name": name}, name)
        for address, name in recipients(owners)
    ]
