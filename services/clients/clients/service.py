"""The clients service: clients, contacts, custom fields, tags, CSV import, logos and avatars,
the credential vault, portal invitations and client requests.

Entrypoints hand over to the domain modules in one line, `self.db.write(fn, ctx, ...)` (committed
before the reply) or `self.db.read(fn, ctx, ...)` (see kit.db); a change a portal login must
follow is then pushed to identity with no transaction open (`self.db.flow`, portal_sync.py).
Every method takes the caller's context first; see docs/contracts.md ("clients").
"""

from __future__ import annotations

from nameko.timer import timer

from clients import (
    client_requests,
    companies,
    contacts,
    fields,
    invitations,
    portal_sync,
    request_inbox,
    request_threads,
    search,
    status_history,
    vault,
)
from clients.dependencies import ImportRunner
from clients.imports import jobs, preview, running
from clients.models import Base, ImportJob
from clients.settings import Settings
from clients.storage import Storage
from kit import failed_events, metrics
from kit.config import ServiceSettings
from kit.context import Context
from kit.db import Database
from kit.encryption import Cipher
from kit.erasure import erase_agency
from kit.events import EventRetry, reliable_handler
from kit.outbox import OutboxRelay
from kit.permissions import (
    CREATE_CLIENTS,
    DELETE_CLIENTS,
    EDIT_CLIENTS,
    MANAGE_CLIENT_ORGANIZATIONS,
)
from kit.rpc import ServiceRpc
from kit.service import RequestLogging, rpc

RECONCILE_SECONDS = 10


class ClientsService(failed_events.FailedEventsRpc, metrics.MetricsRpc):
    name = "clients"

    db = Database()
    settings = ServiceSettings(Settings)
    outbox = OutboxRelay()
    event_retry = EventRetry()
    request_logging = RequestLogging()
    identity = ServiceRpc("identity")
    vault_cipher = Cipher()
    imports = ImportRunner()
    files = Storage()
    event_retry = EventRetry()

    @rpc
    def health(self, ctx):
        return {"service": self.name, "ok": True}

    @reliable_handler("identity", "agency_deleted")
    def on_agency_deleted(self, payload):
        erase_agency(self.db, Base.metadata, payload["agency_id"])

    @reliable_handler("billing", "client_payment_overdue")
    def on_client_payment_overdue(self, payload):
        """The agency's rule: a client with an invoice failed too long becomes inactive."""
        companies.set_inactive_for_overdue(self.db, payload)

    @timer(interval=RECONCILE_SECONDS)
    def reconcile_portal_logins(self):
        """Bring identity in line with contacts a request could not (identity down, a crash)."""
        portal_sync.reconcile(self.db, self.identity)

    def _ask_identity(
        self, ctx: dict, permission: str, *, adding: bool, account_manager_ids=None
    ) -> companies.IdentityAnswers:
        """What a change of clients needs of identity (the plan's limit when it adds a client, the
        account managers it names), asked once the caller's permission is checked and before the
        change's transaction opens (never inside it: docs/contracts.md)."""
        context = Context.from_dict(ctx)
        context.require(permission)
        return companies.ask_identity(
            self.identity, context, adding=adding, account_manager_ids=account_manager_ids
        )

    def _client_limit(self, ctx: dict) -> int | None:
        """The plan's client limit, asked of identity before the import's transaction opens."""
        return self._ask_identity(ctx, CREATE_CLIENTS, adding=True).client_limit

    def _agency_name(self, ctx: dict) -> str | None:
        """The agency's name for an invitation e-mail, asked of identity before the invitation's
        transaction opens (never inside it: docs/contracts.md); None when identity is away."""
        context = Context.from_dict(ctx)
        context.require(MANAGE_CLIENT_ORGANIZATIONS)
        return invitations.ask_agency_name(self.identity, context)

    def _run_if_queued(self, job: ImportJob) -> dict:
        """Hand a committed `queued` job to the background runner; the job as answered."""
        if job.status == "queued":
            self.imports.submit(job.id)
        return jobs.import_dict(job)

    # Clients -------------------------------------------------------------------------------------

    @rpc
    def create_client(self, ctx, name, **data):
        managers = data.get("account_manager_ids")
        answers = self._ask_identity(ctx, CREATE_CLIENTS, adding=True, account_manager_ids=managers)
        return self.db.write(companies.create_client, ctx, answers, name=name, **data)

    @rpc
    def get_client(self, ctx, client_id):
        return self.db.read(companies.get_client, ctx, client_id)

    @rpc
    def update_client(self, ctx, client_id, **changes):
        managers = changes.get("account_manager_ids")
        answers = self._ask_identity(ctx, EDIT_CLIENTS, adding=False, account_manager_ids=managers)
        return self.db.write(companies.update_client, ctx, answers, client_id, **changes)

    @rpc
    def set_billing_contact(self, ctx, client_id, contact_id):
        return self.db.write(companies.set_billing_contact, ctx, client_id, contact_id)

    @rpc
    def set_client_status(self, ctx, client_id, status):
        return self.db.write(companies.set_status, ctx, client_id, status)

    @rpc
    def archive_client(self, ctx, client_id):
        client = self.db.write(companies.archive_client, ctx, client_id)
        self.db.flow(portal_sync.push_due, ctx, self.identity)
        return client

    @rpc
    def restore_client(self, ctx, client_id):
        limit = self._ask_identity(ctx, DELETE_CLIENTS, adding=True).client_limit
        return self.db.write(companies.restore_client, ctx, limit, client_id)

    @rpc
    def list_clients(self, ctx, custom_fields=None, **filters):
        return self.db.read(search.list_clients, ctx, custom_fields_filter=custom_fields, **filters)

    @rpc
    def client_names(self, ctx):
        return self.db.read(search.client_names, ctx)

    @rpc
    def list_client_status_history(self, ctx, client_id=None, page=1, per_page=100):
        return self.db.read(status_history.list_status_history, ctx, client_id, page, per_page)

    @rpc
    def get_logo(self, ctx, client_id):
        return self.db.read(companies.get_logo, ctx, client_id)

    # Custom fields and tags ----------------------------------------------------------------------

    @rpc
    def list_custom_fields(self, ctx):
        return self.db.read(fields.list_fields, ctx)

    @rpc
    def define_custom_field(self, ctx, name, type, choices=None, required=False):
        return self.db.write(fields.define_field, ctx, name, type, choices, required)

    @rpc
    def update_custom_field(self, ctx, field_id, name=None, choices=None, required=None):
        return self.db.write(fields.update_field, ctx, field_id, name, choices, required)

    @rpc
    def delete_custom_field(self, ctx, field_id):
        return self.db.write(fields.delete_field, ctx, field_id)

    @rpc
    def list_tags(self, ctx):
        return self.db.read(fields.list_tags, ctx)

    @rpc
    def rename_tag(self, ctx, old, new):
        return {"clients": self.db.write(fields.rename_tag, ctx, old, new)}

    @rpc
    def delete_tag(self, ctx, name):
        return {"clients": self.db.write(fields.delete_tag, ctx, name)}

    # Contacts ------------------------------------------------------------------------------------

    @rpc
    def create_contact(self, ctx, name, email, **data):
        new_client = contacts.client_to_add(data.get("client_id"), data.get("new_client"))
        answers = self._ask_identity(
            ctx,
            CREATE_CLIENTS,
            adding=new_client is not None,
            account_manager_ids=(new_client or {}).get("account_manager_ids"),
        )
        return self.db.write(
            contacts.create_contact,
            ctx,
            answers,
            name,
            email,
            **data,
            per_hour=self.settings.invitations_per_hour,
            agency_name=self._agency_name(ctx) if data.get("invite") else None,
        )

    @rpc
    def get_contact(self, ctx, contact_id):
        return self.db.read(contacts.get_contact, ctx, contact_id)

    @rpc
    def update_contact(self, ctx, contact_id, **changes):
        if "email" in changes:
            self.db.flow(
                portal_sync.check_new_email, ctx, self.identity, contact_id, changes["email"]
            )
        contact = self.db.write(contacts.update_contact, ctx, contact_id, **changes)
        self.db.flow(portal_sync.push_due, ctx, self.identity)
        return contact

    @rpc
    def archive_contact(self, ctx, contact_id):
        contact = self.db.write(contacts.archive_contact, ctx, contact_id)
        self.db.flow(portal_sync.push_due, ctx, self.identity)
        return contact

    @rpc
    def restore_contact(self, ctx, contact_id):
        return self.db.write(contacts.restore_contact, ctx, contact_id)

    @rpc
    def list_contacts(self, ctx, **filters):
        return self.db.read(search.list_contacts, ctx, **filters)

    @rpc
    def get_avatar(self, ctx, contact_id):
        return self.db.read(contacts.get_avatar, ctx, contact_id)

    # CSV import ----------------------------------------------------------------------------------

    @rpc
    def preview_import(
        self, ctx, kind, csv_text=None, mapping=None, csv_base64=None, skip_updates=False
    ):
        limit = self._client_limit(ctx)
        return self.db.flow(
            preview.preview_import,
            ctx,
            self.identity,
            kind,
            csv_text,
            mapping,
            csv_base64,
            limit,
            skip_updates,
        )

    @rpc
    def import_template(self, ctx, kind):
        return self.db.read(preview.import_template, ctx, kind)

    @rpc
    def start_import(
        self, ctx, kind, csv_text=None, mapping=None, csv_base64=None, skip_updates=False
    ):
        limit = self._client_limit(ctx)
        job = self.db.flow(
            running.start_import,
            ctx,
            self.identity,
            limit,
            kind,
            csv_text,
            mapping,
            csv_base64,
            skip_updates,
        )
        return self._run_if_queued(job)

    @rpc
    def create_import(self, ctx, kind, filename=None):
        return jobs.import_dict(self.db.write(jobs.create_import, ctx, kind, filename))

    @rpc
    def append_import_chunk(self, ctx, job_id, seq, data_base64):
        return self.db.write(jobs.append_import_chunk, ctx, job_id, seq, data_base64)

    @rpc
    def preview_upload(self, ctx, job_id, mapping=None, skip_updates=False):
        limit = self._client_limit(ctx)
        return self.db.flow(
            preview.preview_upload, ctx, self.identity, job_id, mapping, limit, skip_updates
        )

    @rpc
    def discard_upload(self, ctx, job_id):
        return self.db.write(jobs.discard_upload, ctx, job_id)

    @rpc
    def start_upload(self, ctx, job_id, mapping=None, skip_updates=False):
        limit = self._client_limit(ctx)
        job = self.db.flow(
            running.start_upload, ctx, self.identity, limit, job_id, mapping, skip_updates
        )
        return self._run_if_queued(job)

    @rpc
    def get_import(self, ctx, job_id):
        return self.db.read(jobs.get_import, ctx, job_id)

    @rpc
    def list_imports(self, ctx, limit=20):
        return self.db.read(jobs.list_imports, ctx, limit)

    # Credential vault ----------------------------------------------------------------------------

    @rpc
    def list_vault_entries(self, ctx, client_id):
        return self.db.read(vault.list_entries, ctx, client_id)

    @rpc
    def create_vault_entry(
        self, ctx, client_id, label, url=None, username=None, password=None, notes=None
    ):
        return self.db.write(
            vault.create_entry,
            ctx,
            self.vault_cipher,
            client_id,
            label=label,
            url=url,
            username=username,
            password=password,
            notes=notes,
        )

    @rpc
    def update_vault_entry(self, ctx, client_id, entry_id, **changes):
        return self.db.write(
            vault.update_entry, ctx, self.vault_cipher, client_id, entry_id, **changes
        )

    @rpc
    def delete_vault_entry(self, ctx, client_id, entry_id):
        return self.db.write(vault.delete_entry, ctx, client_id, entry_id)

    @rpc
    def reveal_vault_password(self, ctx, client_id, entry_id):
        return self.db.write(vault.reveal_password, ctx, self.vault_cipher, client_id, entry_id)

    @rpc
    def list_vault_reveals(self, ctx, client_id=None, page=1, per_page=25):
        return self.db.read(vault.list_reveals, ctx, client_id, page, per_page)

    # Portal invitations --------------------------------------------------------------------------

    @rpc
    def invite_contact(self, ctx, contact_id, message=None):
        return self.db.write(
            invitations.invite_contact,
            ctx,
            contact_id,
            message,
            self.settings.invitations_per_hour,
            self._agency_name(ctx),
        )

    @rpc
    def reinvite_client_contacts(self, ctx, client_id):
        return self.db.write(
            invitations.reinvite_client_contacts,
            ctx,
            client_id,
            self.settings.invitations_per_hour,
            self._agency_name(ctx),
        )

    @rpc
    def resend_invitation(self, ctx, invitation_id):
        return self.db.write(
            invitations.resend_invitation,
            ctx,
            invitation_id,
            self.settings.invitations_per_hour,
            self._agency_name(ctx),
        )

    @rpc
    def cancel_invitation(self, ctx, invitation_id):
        return self.db.write(invitations.cancel_invitation, ctx, invitation_id)

    @rpc
    def cancel_contact_invitation(self, ctx, contact_id):
        return self.db.write(invitations.cancel_contact_invitation, ctx, contact_id)

    @rpc
    def list_invitations(self, ctx, status="pending", contact_id=None, page=1, per_page=25):
        return self.db.read(invitations.list_invitations, ctx, status, contact_id, page, per_page)

    @rpc
    def get_invitation(self, ctx, token):
        return self.db.read(invitations.get_invitation, ctx, token)

    @rpc
    def accept_invitation(self, ctx, token, password):
        return self.db.flow(portal_sync.accept_invitation, ctx, self.identity, token, password)

    # Requests and the client portal --------------------------------------------------------------

    @rpc
    def list_requests(self, ctx, client_id=None, status=None, page=1, per_page=25, **filters):
        return self.db.read(
            request_inbox.list_requests, ctx, client_id, status, page, per_page, **filters
        )

    @rpc
    def count_requests(self, ctx):
        return self.db.read(request_inbox.count_requests, ctx)

    @rpc
    def create_request(
        self,
        ctx,
        client_id,
        title,
        description=None,
        service_name=None,
        contact_id=None,
        attachments=None,
    ):
        return self.db.flow(
            client_requests.create_request,
            ctx,
            client_id,
            title,
            description,
            service_name,
            contact_id,
            attachments,
            store=self.files,
            max_bytes=self.settings.max_attachment_bytes,
        )

    @rpc
    def get_request(self, ctx, request_id):
        return self.db.write(request_threads.get_request, ctx, request_id)

    @rpc
    def set_request_status(self, ctx, request_id, status):
        return self.db.write(client_requests.set_request_status, ctx, request_id, status)

    @rpc
    def assign_request(self, ctx, request_id, assignee_id):
        return self.db.flow(
            client_requests.assign_request, ctx, self.identity, request_id, assignee_id
        )

    @rpc
    def add_request_comment(self, ctx, request_id, body=None, internal=False, attachments=None):
        return self.db.flow(
            request_threads.add_comment,
            ctx,
            self.identity,
            self.files,
            self.settings.max_attachment_bytes,
            request_id,
            body,
            internal,
            attachments,
        )

    @rpc
    def list_request_comments(self, ctx, request_id, page=1, per_page=100):
        return self.db.read(request_threads.list_comments, ctx, request_id, page, per_page)

    @rpc
    def portal_list_request_comments(self, ctx, request_id, page=1, per_page=100):
        return self.db.read(request_threads.portal_list_comments, ctx, request_id, page, per_page)

    @rpc
    def get_request_attachment(self, ctx, request_id, attachment_id):
        return self.db.read(
            request_threads.attachment_link, ctx, self.files, request_id, attachment_id
        )

    @rpc
    def portal_get_client(self, ctx):
        return self.db.read(client_requests.portal_get_client, ctx)

    @rpc
    def portal_get_logo(self, ctx):
        return self.db.read(client_requests.portal_get_logo, ctx)

    @rpc
    def portal_list_requests(self, ctx, status=None, page=1, per_page=25):
        return self.db.read(request_inbox.portal_list_requests, ctx, status, page, per_page)

    @rpc
    def portal_create_request(
        self, ctx, title, description=None, service_name=None, attachments=None
    ):
        return self.db.flow(
            client_requests.portal_create_request,
            ctx,
            title,
            description,
            service_name,
            attachments,
            store=self.files,
            max_bytes=self.settings.max_attachment_bytes,
        )

    @rpc
    def portal_get_request(self, ctx, request_id):
        return self.db.read(request_threads.portal_get_request, ctx, request_id)

    @rpc
    def portal_add_request_comment(self, ctx, request_id, body=None, attachments=None):
        return self.db.flow(
            request_threads.portal_add_comment,
            ctx,
            self.files,
            self.settings.max_attachment_bytes,
            request_id,
            body,
            attachments,
        )

    @rpc
    def portal_get_request_attachment(self, ctx, request_id, attachment_id):
        return self.db.read(
            request_threads.portal_attachment_link, ctx, self.files, request_id, attachment_id
        )
