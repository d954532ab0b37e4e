"""The clients service: clients, contacts, custom fields, tags, CSV import, logos and avatars,
the credential vault, portal invitations and client requests.

Entry points only translate: the context dict becomes a `Context`, writes run in
`with self.db.begin():` so the commit precedes the reply, and the domain modules do the rest.
Every method takes the caller's context first; see docs/contracts.md ("clients").
"""

from __future__ import annotations

from nameko.dependency_providers import Config

from clients import (
    client_requests,
    companies,
    contacts,
    fields,
    importing,
    invitations,
    search,
    vault,
)
from clients.dependencies import ImportRunner
from kit.context import Context
from kit.db import Database
from kit.encryption import Cipher
from kit.outbox import OutboxRelay
from kit.rpc import ServiceRpc
from kit.service import RequestLogging, rpc


class ClientsService:
    name = "clients"

    db = Database()
    outbox = OutboxRelay()
    request_logging = RequestLogging()
    identity = ServiceRpc("identity")
    vault_cipher = Cipher()
    imports = ImportRunner()
    config = Config()

    @rpc
    def health(self, ctx):
        return {"service": self.name, "ok": True}

    def _invitations_per_hour(self) -> int:
        return int(self.config.get("INVITATIONS_PER_HOUR", invitations.PER_HOUR))

    # Clients -------------------------------------------------------------------------------------

    @rpc
    def create_client(self, ctx, name, **data):
        with self.db.begin():
            return companies.create_client(
                self.db, Context.from_dict(ctx), self.identity, name=name, **data
            )

    @rpc
    def get_client(self, ctx, client_id):
        return companies.get_client(self.db, Context.from_dict(ctx), client_id)

    @rpc
    def update_client(self, ctx, client_id, **changes):
        with self.db.begin():
            return companies.update_client(
                self.db, Context.from_dict(ctx), self.identity, client_id, **changes
            )

    @rpc
    def set_client_status(self, ctx, client_id, status):
        with self.db.begin():
            return companies.set_status(self.db, Context.from_dict(ctx), client_id, status)

    @rpc
    def archive_client(self, ctx, client_id):
        with self.db.begin():
            return companies.archive_client(
                self.db, Context.from_dict(ctx), self.identity, client_id
            )

    @rpc
    def restore_client(self, ctx, client_id):
        with self.db.begin():
            return companies.restore_client(
                self.db, Context.from_dict(ctx), self.identity, client_id
            )

    @rpc
    def list_clients(self, ctx, custom_fields=None, **filters):
        return search.list_clients(
            self.db, Context.from_dict(ctx), custom_fields_filter=custom_fields, **filters
        )

    @rpc
    def get_logo(self, ctx, client_id):
        return companies.get_logo(self.db, Context.from_dict(ctx), client_id)

    # Custom fields and tags ----------------------------------------------------------------------

    @rpc
    def list_custom_fields(self, ctx):
        return fields.list_fields(self.db, Context.from_dict(ctx))

    @rpc
    def define_custom_field(self, ctx, name, type, choices=None):
        with self.db.begin():
            return fields.define_field(self.db, Context.from_dict(ctx), name, type, choices)

    @rpc
    def update_custom_field(self, ctx, field_id, name=None, choices=None):
        with self.db.begin():
            return fields.update_field(self.db, Context.from_dict(ctx), field_id, name, choices)

    @rpc
    def delete_custom_field(self, ctx, field_id):
        with self.db.begin():
            fields.delete_field(self.db, Context.from_dict(ctx), field_id)

    @rpc
    def list_tags(self, ctx):
        return fields.list_tags(self.db, Context.from_dict(ctx))

    @rpc
    def rename_tag(self, ctx, old, new):
        with self.db.begin():
            return {"clients": fields.rename_tag(self.db, Context.from_dict(ctx), old, new)}

    @rpc
    def delete_tag(self, ctx, name):
        with self.db.begin():
            return {"clients": fields.delete_tag(self.db, Context.from_dict(ctx), name)}

    # Contacts ------------------------------------------------------------------------------------

    @rpc
    def create_contact(self, ctx, name, email, **data):
        # the limit is ours to set, whatever the caller sends
        data = {**data, "invitations_per_hour": self._invitations_per_hour()}
        with self.db.begin():
            return contacts.create_contact(
                self.db, Context.from_dict(ctx), self.identity, name, email, **data
            )

    @rpc
    def get_contact(self, ctx, contact_id):
        return contacts.get_contact(self.db, Context.from_dict(ctx), contact_id)

    @rpc
    def update_contact(self, ctx, contact_id, **changes):
        with self.db.begin():
            return contacts.update_contact(
                self.db, Context.from_dict(ctx), self.identity, contact_id, **changes
            )

    @rpc
    def archive_contact(self, ctx, contact_id):
        with self.db.begin():
            return contacts.archive_contact(
                self.db, Context.from_dict(ctx), self.identity, contact_id
            )

    @rpc
    def restore_contact(self, ctx, contact_id):
        with self.db.begin():
            return contacts.restore_contact(self.db, Context.from_dict(ctx), contact_id)

    @rpc
    def list_contacts(self, ctx, **filters):
        return search.list_contacts(self.db, Context.from_dict(ctx), **filters)

    @rpc
    def get_avatar(self, ctx, contact_id):
        return contacts.get_avatar(self.db, Context.from_dict(ctx), contact_id)

    # CSV import ----------------------------------------------------------------------------------

    @rpc
    def preview_import(self, ctx, kind, csv_text=None, mapping=None, csv_base64=None):
        return importing.preview_import(
            self.db, Context.from_dict(ctx), self.identity, kind, csv_text, mapping, csv_base64
        )

    @rpc
    def start_import(self, ctx, kind, csv_text=None, mapping=None, csv_base64=None):
        context = Context.from_dict(ctx)
        context.require("create_clients")
        limit = companies.client_limit(self.identity, context)
        with self.db.begin():
            job = importing.start_import(
                self.db, context, self.identity, limit, kind, csv_text, mapping, csv_base64
            )
            result = importing.job_to_dict(job)
        if job.status == "queued":
            self.imports.submit(job.id)
        return result

    @rpc
    def create_import(self, ctx, kind, filename=None):
        with self.db.begin():
            job = importing.create_import(self.db, Context.from_dict(ctx), kind, filename)
            return importing.job_to_dict(job)

    @rpc
    def append_import_chunk(self, ctx, job_id, seq, data_base64):
        with self.db.begin():
            return importing.append_import_chunk(
                self.db, Context.from_dict(ctx), job_id, seq, data_base64
            )

    @rpc
    def preview_upload(self, ctx, job_id, mapping=None):
        return importing.preview_upload(
            self.db, Context.from_dict(ctx), self.identity, job_id, mapping
        )

    @rpc
    def discard_upload(self, ctx, job_id):
        with self.db.begin():
            importing.discard_upload(self.db, Context.from_dict(ctx), job_id)

    @rpc
    def start_upload(self, ctx, job_id, mapping=None):
        context = Context.from_dict(ctx)
        context.require("create_clients")
        limit = companies.client_limit(self.identity, context)
        with self.db.begin():
            job = importing.start_upload(self.db, context, self.identity, limit, job_id, mapping)
            result = importing.job_to_dict(job)
        if job.status == "queued":
            self.imports.submit(job.id)
        return result

    @rpc
    def get_import(self, ctx, job_id):
        return importing.get_import(self.db, Context.from_dict(ctx), job_id)

    @rpc
    def list_imports(self, ctx, limit=20):
        return importing.list_imports(self.db, Context.from_dict(ctx), limit)

    # Credential vault ----------------------------------------------------------------------------

    @rpc
    def list_vault_entries(self, ctx, client_id):
        return vault.list_entries(self.db, Context.from_dict(ctx), client_id)

    @rpc
    def create_vault_entry(
        self, ctx, client_id, label, url=None, username=None, password=None, notes=None
    ):
        with self.db.begin():
            return vault.create_entry(
                self.db,
                Context.from_dict(ctx),
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
        with self.db.begin():
            return vault.update_entry(
                self.db, Context.from_dict(ctx), self.vault_cipher, client_id, entry_id, **changes
            )

    @rpc
    def delete_vault_entry(self, ctx, client_id, entry_id):
        with self.db.begin():
            vault.delete_entry(self.db, Context.from_dict(ctx), client_id, entry_id)

    @rpc
    def reveal_vault_password(self, ctx, client_id, entry_id):
        with self.db.begin():
            return vault.reveal_password(
                self.db, Context.from_dict(ctx), self.vault_cipher, client_id, entry_id
            )

    @rpc
    def list_vault_reveals(self, ctx, client_id=None, limit=200):
        return vault.list_reveals(self.db, Context.from_dict(ctx), client_id, limit)

    # Portal invitations --------------------------------------------------------------------------

    @rpc
    def invite_contact(self, ctx, contact_id, message=None):
        with self.db.begin():
            return invitations.invite_contact(
                self.db,
                Context.from_dict(ctx),
                self.identity,
                contact_id,
                message,
                self._invitations_per_hour(),
            )

    @rpc
    def resend_invitation(self, ctx, invitation_id):
        with self.db.begin():
            return invitations.resend_invitation(
                self.db,
                Context.from_dict(ctx),
                self.identity,
                invitation_id,
                self._invitations_per_hour(),
            )

    @rpc
    def cancel_invitation(self, ctx, invitation_id):
        with self.db.begin():
            return invitations.cancel_invitation(self.db, Context.from_dict(ctx), invitation_id)

    @rpc
    def cancel_contact_invitation(self, ctx, contact_id):
        with self.db.begin():
            return invitations.cancel_contact_invitation(
                self.db, Context.from_dict(ctx), contact_id
            )

    @rpc
    def list_invitations(self, ctx, status="pending", contact_id=None, page=1, per_page=25):
        return invitations.list_invitations(
            self.db, Context.from_dict(ctx), status, contact_id, page, per_page
        )

    @rpc
    def get_invitation(self, ctx, token):
        return invitations.get_invitation(self.db, token)

    @rpc
    def accept_invitation(self, ctx, token, password):
        with self.db.begin():
            return invitations.accept_invitation(self.db, self.identity, token, password)

    # Requests and the client portal --------------------------------------------------------------

    @rpc
    def list_requests(self, ctx, client_id=None, status=None, page=1, per_page=25):
        return client_requests.list_requests(
            self.db, Context.from_dict(ctx), client_id, status, page, per_page
        )

    @rpc
    def create_request(
        self, ctx, client_id, title, description=None, service_name=None, contact_id=None
    ):
        with self.db.begin():
            return client_requests.create_request(
                self.db,
                Context.from_dict(ctx),
                client_id,
                title,
                description,
                service_name,
                contact_id,
            )

    @rpc
    def set_request_status(self, ctx, request_id, status):
        with self.db.begin():
            return client_requests.set_request_status(
                self.db, Context.from_dict(ctx), request_id, status
            )

    @rpc
    def portal_get_client(self, ctx):
        return client_requests.portal_get_client(self.db, Context.from_dict(ctx))

    @rpc
    def portal_get_logo(self, ctx):
        return client_requests.portal_get_logo(self.db, Context.from_dict(ctx))

    @rpc
    def portal_list_requests(self, ctx, status=None, page=1, per_page=25):
        return client_requests.portal_list_requests(
            self.db, Context.from_dict(ctx), status, page, per_page
        )

    @rpc
    def portal_create_request(self, ctx, title, description=None, service_name=None):
        with self.db.begin():
            return client_requests.portal_create_request(
                self.db, Context.from_dict(ctx), title, description, service_name
            )
