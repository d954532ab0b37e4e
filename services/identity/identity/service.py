"""The identity service: agencies, users, roles, logins, sessions, API tokens, plans.

Entrypoints hand over to the domain modules in one line, `self.db.write(fn, ctx, ...)` or
`self.db.read(fn, ctx, ...)`: a write commits inside the entrypoint so it precedes the reply
(see kit.db).
"""

from __future__ import annotations

from nameko.timer import timer

from identity import (
    agencies,
    api_tokens,
    branding,
    credentials,
    housekeeping,
    logins,
    permissions,
    portal,
    roles,
    sessions,
    signups,
    subscription,
    users,
)
from identity.dependencies import PasswordResetSender
from identity.settings import Settings
from kit import failed_events, metrics
from kit.config import ServiceSettings
from kit.db import Database
from kit.events import EventRetry, reliable_handler
from kit.outbox import OutboxRelay
from kit.service import RequestLogging, rpc

# Trials ending within three days are looked for this often (the reminder goes once).
TRIAL_REMINDER_EVERY_SECONDS = 600


class IdentityService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    name = "identity"

    db = Database()
    settings = ServiceSettings(Settings)
    outbox = OutboxRelay()
    event_retry = EventRetry()
    reset_sender = PasswordResetSender()
    request_logging = RequestLogging()

    @rpc
    def health(self, ctx):
        return {"service": self.name, "ok": True}

    @timer(interval=3600)
    def purge_expired(self):
        with self.db.begin():
            housekeeping.purge_expired(self.db, settings=self.settings)

    @timer(interval=TRIAL_REMINDER_EVERY_SECONDS)
    def remind_trials_ending(self):
        with self.db.begin():
            subscription.send_trial_reminders(self.db)

    # the subscription billing owns: the agency's plan and status follow its events

    @reliable_handler("billing", "subscription_started")
    def on_subscription_started(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @reliable_handler("billing", "subscription_renewed")
    def on_subscription_renewed(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @reliable_handler("billing", "subscription_upgraded")
    def on_subscription_upgraded(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @reliable_handler("billing", "subscription_payment_failed")
    def on_subscription_payment_failed(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @reliable_handler("billing", "subscription_canceled")
    def on_subscription_canceled(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @reliable_handler("billing", "subscription_ended")
    def on_subscription_ended(self, payload):
        subscription.follow_billing_event(self.db, payload)

    @rpc
    def request_onboarding(self, ctx, message=None, phone=None):
        return self.db.write(subscription.request_onboarding, ctx, message, phone)

    @rpc
    def delete_agency(self, ctx, password):
        return self.db.write(subscription.delete_agency, ctx, password)

    # signing up, logging in and out

    @rpc
    def signup(self, ctx, agency_name, owner_name, email, password, ip=None):
        return self.db.write(
            agencies.signup,
            ctx,
            agency_name,
            owner_name,
            email,
            password,
            ip,
            settings=self.settings,
        )

    @rpc
    def request_signup(self, ctx, agency_name, owner_name, email, password):
        # The same (empty) answer whether or not the address has an account: see signups.py.
        return self.db.write(signups.request_signup, ctx, agency_name, owner_name, email, password)

    @rpc
    def confirm_signup(self, ctx, token, ip=None):
        return self.db.write(signups.confirm_signup, ctx, token, ip, settings=self.settings)

    @rpc
    def login(self, ctx, email, password, ip=None, kind="user"):
        # A refused login is raised only after its failure has been counted and committed.
        return self.db.write(
            logins.login, ctx, email, password, ip, kind, settings=self.settings
        ).result()

    @rpc
    def logout(self, ctx, session_token):
        return self.db.write(sessions.end_session, ctx, session_token)

    @rpc
    def authenticate_session(self, ctx, session_token):
        return self.db.write(
            sessions.authenticate_session, ctx, session_token, settings=self.settings
        )

    @rpc
    def authenticate_api_token(self, ctx, token):
        return self.db.write(api_tokens.authenticate_api_token, ctx, token)

    # passwords

    @rpc
    def request_password_reset(self, ctx, email, kind="user"):
        # Only notes the request: the link is made (or not) by `reset_sender` after the reply.
        return self.db.write(credentials.request_password_reset, ctx, email, kind)

    @rpc
    def reset_password(self, ctx, token, new_password):
        return self.db.write(credentials.reset_password, ctx, token, new_password)

    @rpc
    def change_password(self, ctx, current_password, new_password, ip=None, revoke_tokens=False):
        # Like login: a wrong current password is counted and committed, then refused.
        return self.db.write(
            credentials.change_password,
            ctx,
            current_password,
            new_password,
            ip,
            revoke_tokens,
            settings=self.settings,
        ).result()

    # API tokens

    @rpc
    def create_api_token(self, ctx, name):
        return self.db.write(api_tokens.create_api_token, ctx, name)

    @rpc
    def list_api_tokens(self, ctx):
        return self.db.read(api_tokens.list_api_tokens, ctx)

    @rpc
    def revoke_api_token(self, ctx, token_id):
        return self.db.write(api_tokens.revoke_api_token, ctx, token_id)

    # users

    @rpc
    def list_users(self, ctx, status=None):
        return self.db.read(users.list_users, ctx, status)

    @rpc
    def get_user(self, ctx, user_id):
        return self.db.read(users.get_user, ctx, user_id)

    @rpc
    def users_by_ids(self, ctx, user_ids):
        return self.db.read(users.users_by_ids, ctx, user_ids)

    @rpc
    def create_user(self, ctx, name, email, role_id, password=None, send_invitation=False):
        return self.db.write(
            users.create_user, ctx, name, email, role_id, password, bool(send_invitation)
        )

    @rpc
    def update_user(self, ctx, user_id, **fields):
        return self.db.write(users.update_user, ctx, user_id, fields)

    @rpc
    def deactivate_user(self, ctx, user_id):
        return self.db.write(users.deactivate_user, ctx, user_id)

    @rpc
    def reactivate_user(self, ctx, user_id):
        return self.db.write(users.reactivate_user, ctx, user_id)

    @rpc
    def resend_user_confirmation(self, ctx, user_id):
        return self.db.write(users.resend_confirmation, ctx, user_id)

    @rpc
    def accept_user_invitation(self, ctx, token, password=None):
        return self.db.write(
            users.accept_user_invitation, ctx, token, password, settings=self.settings
        )

    # roles and permissions

    @rpc
    def list_roles(self, ctx):
        return self.db.read(roles.list_roles, ctx)

    @rpc
    def create_role(self, ctx, name, permissions):
        return self.db.write(roles.create_role, ctx, name, permissions)

    @rpc
    def update_role(self, ctx, role_id, name=None, permissions=None):
        return self.db.write(roles.update_role, ctx, role_id, name, permissions)

    @rpc
    def delete_role(self, ctx, role_id):
        return self.db.write(roles.delete_role, ctx, role_id)

    @rpc
    def list_permissions(self, ctx):
        return permissions.list_permissions()

    # the agency, its plan and entitlements

    @rpc
    def get_agency(self, ctx):
        return self.db.read(agencies.get_agency, ctx)

    @rpc
    def update_agency(self, ctx, name=None, timezone=None, **fields):
        # brand_color is passed only when it changes: None (or "") clears it.
        brand = {"brand_color": fields["brand_color"]} if "brand_color" in fields else {}
        return self.db.write(agencies.update_agency, ctx, name, timezone, **brand)

    @rpc
    def get_branding(self, ctx):
        return self.db.read(branding.get_branding, ctx)

    @rpc
    def set_agency_logo(self, ctx, logo_base64):
        return self.db.write(branding.set_logo, ctx, logo_base64)

    @rpc
    def get_agency_logo(self, ctx):
        return self.db.read(branding.get_logo, ctx)

    @rpc
    def list_plans(self, ctx):
        return self.db.read(agencies.list_plans, ctx)

    @rpc
    def get_entitlements(self, ctx):
        return self.db.read(agencies.get_entitlements, ctx)

    # client portal logins (created and disabled by the clients service with a system context;
    # kept in step with the contact by it or by a team member who may edit clients)

    @rpc
    def create_portal_login(self, ctx, contact_id, client_id, email, name, password):
        return self.db.write(
            portal.create_portal_login,
            ctx,
            contact_id,
            client_id,
            email,
            name,
            password,
            settings=self.settings,
        )

    @rpc
    def disable_portal_login(self, ctx, contact_id):
        return self.db.write(portal.disable_portal_login, ctx, contact_id)

    @rpc
    def update_portal_login(self, ctx, contact_id, email=None, name=None, client_id=None):
        return self.db.write(portal.update_portal_login, ctx, contact_id, email, name, client_id)

    @rpc
    def check_portal_email(self, ctx, contact_id, email):
        return self.db.read(portal.check_portal_email, ctx, contact_id, email)
