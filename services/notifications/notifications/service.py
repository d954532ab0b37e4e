"""The notifications service: event handlers that send e-mail, and what it sent, over RPC."""

from __future__ import annotations

import logging

from kit import failed_events, metrics, permissions
from kit.context import Context
from kit.db import Database
from kit.erasure import erase_agency
from kit.events import EventRetry, reliable_handler
from kit.rpc import ServiceRpc
from kit.service import RequestLogging, rpc
from notifications import emails, records, subscription_emails
from notifications.delivery import mail_handler
from notifications.mail import Mailer
from notifications.models import Base

log = logging.getLogger(__name__)


class NotificationsService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    """Each `@mail_handler` method says which e-mails its event becomes; it runs after the
    event's transaction (notifications.delivery), so it may ask identity and billing."""

    name = "notifications"

    db = Database()
    mailer = Mailer()
    identity = ServiceRpc("identity")
    billing = ServiceRpc("billing")
    event_retry = EventRetry()
    request_logging = RequestLogging()

    @mail_handler("identity", "password_reset_requested")
    def on_password_reset_requested(self, payload: dict) -> list[emails.Email]:
        return emails.password_reset(payload, self.public_url)

    @mail_handler("identity", "user_created")
    def on_user_created(self, payload: dict) -> list[emails.Email]:
        return emails.user_created(payload, self.public_url)

    @mail_handler("identity", "user_email_change_requested")
    def on_user_email_change_requested(self, payload: dict) -> list[emails.Email]:
        return emails.user_email_change_requested(payload, self.public_url)

    @mail_handler("identity", "user_address_in_use_elsewhere")
    def on_user_address_in_use_elsewhere(self, payload: dict) -> list[emails.Email]:
        return emails.user_address_in_use_elsewhere(payload, self.public_url)

    @mail_handler("identity", "user_deactivated")
    def on_user_deactivated(self, payload: dict) -> list[emails.Email]:
        return emails.user_deactivated(payload, self.public_url)

    @mail_handler("identity", "password_changed")
    def on_password_changed(self, payload: dict) -> list[emails.Email]:
        return emails.password_changed(payload, self.public_url)

    @mail_handler("identity", "agency_signed_up")
    def on_agency_signed_up(self, payload: dict) -> list[emails.Email]:
        return emails.agency_signed_up(payload, self.public_url)

    @mail_handler("identity", "signup_requested")
    def on_signup_requested(self, payload: dict) -> list[emails.Email]:
        return emails.signup_requested(payload, self.public_url)

    @mail_handler("identity", "signup_existing_account")
    def on_signup_existing_account(self, payload: dict) -> list[emails.Email]:
        return emails.signup_existing_account(payload, self.public_url)

    @mail_handler("clients", "contact_invited")
    def on_contact_invited(self, payload: dict) -> list[emails.Email]:
        invitation = emails.contact_invited(payload, self.public_url)
        return self._branded(payload, invitation)

    @mail_handler("clients", "request_created")
    def on_request_created(self, payload: dict) -> list[emails.Email]:
        managers = self._users(payload, payload.get("account_manager_ids") or [])
        return emails.request_created(payload, managers, self.public_url)

    @mail_handler("clients", "request_comment_added")
    def on_request_comment_added(self, payload: dict) -> list[emails.Email]:
        if payload.get("author_kind") == emails.PORTAL_KIND:
            return emails.request_comment(payload, self._request_team(payload), self.public_url)
        return self._branded(payload, emails.request_reply(payload, self.public_url))

    @mail_handler("clients", "request_assigned")
    def on_request_assigned(self, payload: dict) -> list[emails.Email]:
        assignee = self._users(
            payload, [payload.get("assignee_id")] if payload.get("assignee_id") else []
        )
        return emails.request_assigned(payload, assignee, self.public_url)

    @mail_handler("clients", "request_status_changed")
    def on_request_status_changed(self, payload: dict) -> list[emails.Email]:
        return self._branded(payload, emails.request_status_changed(payload, self.public_url))

    @mail_handler("billing", "invoice_paid")
    def on_invoice_paid(self, payload: dict) -> list[emails.Email]:
        return self._branded(payload, emails.invoice_paid(payload, self.public_url))

    @mail_handler("billing", "invoice_failed")
    def on_invoice_failed(self, payload: dict) -> list[emails.Email]:
        notices = emails.invoice_failed(payload, self._billing_team(payload), self.public_url)
        return self._branded(payload, notices)

    @mail_handler("billing", "stripe_key_refused")
    def on_stripe_key_refused(self, payload: dict) -> list[emails.Email]:
        return emails.stripe_key_refused(payload, self._billing_team(payload), self.public_url)

    @mail_handler("billing", "invoice_issued")
    def on_invoice_issued(self, payload: dict) -> list[emails.Email]:
        pdf = None
        if payload.get("payment_method") == "check" and payload.get("billing_email"):
            ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
            pdf = self.billing.invoice_pdf(ctx.to_dict(), payload["invoice_id"])
        return self._branded(payload, emails.invoice_issued(payload, pdf, self.public_url))

    # the agency's own subscription to the platform

    @mail_handler("identity", "trial_ending")
    def on_trial_ending(self, payload: dict) -> list[emails.Email]:
        return subscription_emails.trial_ending(payload, self.public_url)

    @mail_handler("identity", "onboarding_requested")
    def on_onboarding_requested(self, payload: dict) -> list[emails.Email]:
        staff = self.mailer.staff_email
        return subscription_emails.onboarding_requested(payload, staff, self.public_url)

    @mail_handler("billing", "subscription_started")
    def on_subscription_started(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @mail_handler("billing", "subscription_renewed")
    def on_subscription_renewed(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @mail_handler("billing", "subscription_upgraded")
    def on_subscription_upgraded(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @mail_handler("billing", "subscription_payment_failed")
    def on_subscription_payment_failed(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @mail_handler("billing", "subscription_canceled")
    def on_subscription_canceled(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @mail_handler("billing", "subscription_ended")
    def on_subscription_ended(self, payload: dict) -> list[emails.Email]:
        return self._tell_owner(payload)

    @reliable_handler("identity", "agency_deleted")
    def on_agency_deleted(self, payload: dict) -> None:
        erase_agency(self.db, Base.metadata, payload["agency_id"])

    @mail_handler("billing", "funding_request_sent")
    def on_funding_request_sent(self, payload: dict) -> list[emails.Email]:
        return emails.funding_request_sent(payload, self.public_url)

    @mail_handler("billing", "balance_low")
    def on_balance_low(self, payload: dict) -> list[emails.Email]:
        owners = self._owners(payload)
        return emails.balance_notice(payload, owners, self.public_url)

    @mail_handler("billing", "balance_exhausted")
    def on_balance_exhausted(self, payload: dict) -> list[emails.Email]:
        owners = self._owners(payload)
        return emails.balance_notice(payload, owners, self.public_url)

    @rpc
    def list_sent(self, ctx: dict, limit: int = 50) -> list[dict]:
        return self.db.read(records.list_sent, ctx, limit)

    @rpc
    def health(self, ctx: dict | None = None) -> dict:
        return {"service": self.name, "ok": True}

    @property
    def public_url(self) -> str:
        return self.mailer.public_url

    def _branded(self, payload: dict, notices: list[emails.Email]) -> list[emails.Email]:
        """The agency's e-mails to its clients in its brand: name, colour and logo (inline)
        from identity; identity away: in the platform's colours, without the logo."""
        if not any(notice.template in emails.CLIENT_TEMPLATES for notice in notices):
            return notices
        brand = self._brand(payload)
        logo = self._logo(payload) if brand and brand.get("has_logo") else None
        return emails.with_brand(notices, brand, logo)

    def _logo(self, payload: dict) -> dict | None:
        """The agency's logo (identity `get_agency_logo`); None when it does not answer."""
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        try:
            return self.identity.get_agency_logo(ctx.to_dict())
        except Exception:
            log.warning("no logo for event %s", payload.get("event_id"), exc_info=True)
            return None

    def _brand(self, payload: dict) -> dict | None:
        """The event's agency's brand for its clients' e-mails; without it (identity away) the
        e-mail goes out in the platform's colours rather than waiting."""
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        try:
            return self.identity.get_branding(ctx.to_dict())
        except Exception:
            log.warning("no brand for event %s", payload.get("event_id"), exc_info=True)
            return None

    def _request_team(self, payload: dict) -> list[dict]:
        """Who hears of a client's comment: the request's assignee; else the client's account
        managers; else every active team member whose role manages client requests."""
        for ids in ([payload.get("assignee_id")], payload.get("account_manager_ids") or []):
            users = [u for u in self._users(payload, [i for i in ids if i]) if emails.is_active(u)]
            if users:
                return users
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id")).to_dict()
        roles = {
            role["id"]
            for role in self.identity.list_roles(ctx)
            if permissions.MANAGE_CLIENT_ORGANIZATIONS in role.get("permissions", [])
        }
        return [u for u in self.identity.list_users(ctx, "active") if u["role"]["id"] in roles]

    def _tell_owner(self, payload: dict) -> list[emails.Email]:
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        owner = next((u for u in self.identity.list_users(ctx.to_dict()) if u["is_owner"]), None)
        return subscription_emails.subscription_notice(payload, owner, self.public_url)

    def _billing_team(self, payload: dict) -> list[dict]:
        """The agency's owner and active users who may manage billing (identity, as the
        event's agency)."""
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id")).to_dict()
        users = self.identity.list_users(ctx, status="active")
        return emails.billing_recipients(users, self.identity.list_roles(ctx))

    def _owners(self, payload: dict) -> list[dict]:
        """The event's agency's active team; `emails` keeps its owners."""
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        return self.identity.list_users(ctx.to_dict(), status="active")

    def _users(self, payload: dict, user_ids: list[str]) -> list[dict]:
        """The users identity knows by these ids, asked in the event's agency."""
        if not user_ids:
            return []
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        return self.identity.users_by_ids(ctx.to_dict(), [str(i) for i in user_ids])
