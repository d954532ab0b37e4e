"""The notifications service: event handlers that send e-mail, and what it sent, over RPC."""

from __future__ import annotations

import logging

from kit import failed_events
from kit.context import Context
from kit.db import Database
from kit.events import EventRetry, reliable_handler
from kit.rpc import ServiceRpc
from kit.service import RequestLogging, rpc
from notifications import emails, records
from notifications.delivery import deliver
from notifications.mail import Mailer

log = logging.getLogger(__name__)


class NotificationsService(failed_events.FailedEventsRpc):
    name = "notifications"

    db = Database()
    mailer = Mailer()
    identity = ServiceRpc("identity")
    event_retry = EventRetry()
    request_logging = RequestLogging()

    @reliable_handler("identity", "password_reset_requested")
    def on_password_reset_requested(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.password_reset(payload, self.public_url))

    @reliable_handler("identity", "user_created")
    def on_user_created(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.user_created(payload, self.public_url))

    @reliable_handler("identity", "user_email_change_requested")
    def on_user_email_change_requested(self, payload: dict) -> None:
        notices = emails.user_email_change_requested(payload, self.public_url)
        deliver(self.db, self.mailer, payload, notices)

    @reliable_handler("identity", "user_address_in_use_elsewhere")
    def on_user_address_in_use_elsewhere(self, payload: dict) -> None:
        notices = emails.user_address_in_use_elsewhere(payload, self.public_url)
        deliver(self.db, self.mailer, payload, notices)

    @reliable_handler("identity", "user_deactivated")
    def on_user_deactivated(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.user_deactivated(payload, self.public_url))

    @reliable_handler("identity", "password_changed")
    def on_password_changed(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.password_changed(payload, self.public_url))

    @reliable_handler("identity", "agency_signed_up")
    def on_agency_signed_up(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.agency_signed_up(payload, self.public_url))

    @reliable_handler("identity", "signup_requested")
    def on_signup_requested(self, payload: dict) -> None:
        deliver(self.db, self.mailer, payload, emails.signup_requested(payload, self.public_url))

    @reliable_handler("identity", "signup_existing_account")
    def on_signup_existing_account(self, payload: dict) -> None:
        notices = emails.signup_existing_account(payload, self.public_url)
        deliver(self.db, self.mailer, payload, notices)

    @reliable_handler("clients", "contact_invited")
    def on_contact_invited(self, payload: dict) -> None:
        invitation = emails.contact_invited(payload, self.public_url, self._brand(payload))
        deliver(self.db, self.mailer, payload, invitation)

    @reliable_handler("clients", "request_created")
    def on_request_created(self, payload: dict) -> None:
        managers = self._users(payload, payload.get("account_manager_ids") or [])
        notices = emails.request_created(payload, managers, self.public_url)
        deliver(self.db, self.mailer, payload, notices)

    @rpc
    def list_sent(self, ctx: dict, limit: int = 50) -> list[dict]:
        return self.db.read(records.list_sent, ctx, limit)

    @rpc
    def health(self, ctx: dict | None = None) -> dict:
        return {"service": self.name, "ok": True}

    @property
    def public_url(self) -> str:
        return self.mailer.public_url

    def _brand(self, payload: dict) -> dict | None:
        """The event's agency's brand for its clients' e-mails; without it (identity away) the
        e-mail goes out in the platform's colours rather than waiting."""
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        try:
            return self.identity.get_branding(ctx.to_dict())
        except Exception:
            log.warning("no brand for event %s", payload.get("event_id"), exc_info=True)
            return None

    def _users(self, payload: dict, user_ids: list[str]) -> list[dict]:
        """The users identity knows by these ids, asked in the event's agency."""
        if not user_ids:
            return []
        ctx = Context.system(payload.get("agency_id"), payload.get("request_id"))
        return self.identity.users_by_ids(ctx.to_dict(), [str(i) for i in user_ids])
