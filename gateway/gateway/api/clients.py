"""/api/v1 clients: list, create, read, edit, status, archive, logo, CSV import, the credential
vault and custom fields. Permissions are checked here and again in the clients service."""

from __future__ import annotations

from collections.abc import Iterator

from flask import request
from werkzeug.exceptions import BadRequest, UnsupportedMediaType

from gateway import input_checks
from gateway.api.base import api, json_body, query_args
from gateway.api.client_schemas import (
    ClientCreateRequest,
    ClientListQuery,
    ClientStatusRequest,
    ClientUpdateRequest,
    CustomFieldRequest,
    ImportRequest,
    RevealListQuery,
    VaultEntryRequest,
)
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import (
    csv_pieces,
    picture_base64,
    picture_response,
    raw_body_base64,
    text_pieces,
    upload_csv,
)
from kit import permissions
from kit.errors import ValidationError


def picture_from_request(field: str) -> str:
    """A picture sent as multipart (any file field) or as the raw body (image/png, image/jpeg)."""
    if request.files:
        upload = request.files.get(field) or request.files.get("file")
        upload = upload or next(iter(request.files.values()))
        data = picture_base64(upload, field)
        if data is None:
            raise ValidationError("Choose an image file.", {field: "no file"})
        return data
    if request.mimetype in ("image/png", "image/jpeg", "application/octet-stream"):
        return raw_body_base64(field)
    raise UnsupportedMediaType(
        "Send the image as multipart/form-data (field 'file') or as the body with "
        "Content-Type image/png or image/jpeg."
    )


@api.get("/clients")
@permission_required("view_clients")
def list_clients():
    """Clients, searched, filtered, sorted and paged.
    ---
    get:
      tags: [clients]
      summary: List clients (active and inactive unless status says otherwise)
      parameters: [{in: query, schema: ClientListQuery}]
      responses:
        200: {description: One page of clients, schema: ClientPage}
        404: No such custom field (field)
    """
    args = query_args(ClientListQuery())
    field, value = args.pop("field", None), args.pop("value", None)
    if field and value:
        args["custom_fields"] = {field: value}
    return services.clients.list_clients(**args)


@api.post("/clients")
@permission_required("create_clients")
def create_client():
    """Add a client.
    ---
    post:
      tags: [clients]
      summary: Add a client (logo optional, base64)
      requestBody: ClientCreateRequest
      responses:
        201: {description: The new client, schema: Client}
        402: The plan's client limit is reached
        409: A client with this name exists
    """
    return services.clients.create_client(**json_body(ClientCreateRequest())), 201


@api.get("/clients/<client_id>")
@permission_required("view_clients")
def get_client(client_id: str):
    """One client (archived ones too, marked archived).
    ---
    get:
      tags: [clients]
      summary: Get a client
      responses:
        200: {description: The client, schema: Client}
        404: No such client in your agency
    """
    return services.clients.get_client(client_id)


@api.patch("/clients/<client_id>")
@permission_required("edit_clients")
def update_client(client_id: str):
    """Change some of a client's fields.
    ---
    patch:
      tags: [clients]
      summary: Edit a client
      requestBody: ClientUpdateRequest
      responses:
        200: {description: The client as changed, schema: Client}
        409: The client is archived, or another client has this name
    """
    return services.clients.update_client(client_id, **json_body(ClientUpdateRequest()))


@api.post("/clients/<client_id>/status")
@permission_required("edit_clients")
def set_client_status(client_id: str):
    """Mark a client active or inactive.
    ---
    post:
      tags: [clients]
      summary: Set a client's status
      requestBody: ClientStatusRequest
      responses:
        200: {description: The client, schema: Client}
        409: The client is archived
    """
    body = json_body(ClientStatusRequest())
    return services.clients.set_client_status(client_id, body["status"])


@api.post("/clients/<client_id>/archive")
@permission_required("delete_clients")
def archive_client(client_id: str):
    """ "Delete" a client: archived, its history kept.
    ---
    post:
      tags: [clients]
      summary: Archive (delete) a client
      responses:
        200: {description: The archived client, schema: Client}
    """
    return services.clients.archive_client(client_id)


@api.post("/clients/<client_id>/restore")
@permission_required("delete_clients")
def restore_client(client_id: str):
    """Bring an archived client back.
    ---
    post:
      tags: [clients]
      summary: Restore an archived client
      responses:
        200: {description: The client, schema: Client}
        402: The plan's client limit is reached
        409: Another client has this name
    """
    return services.clients.restore_client(client_id)


@api.put("/clients/<client_id>/logo")
@permission_required("edit_clients")
def put_logo(client_id: str):
    """Set the client's logo (JPG or PNG, at most 2 MB).
    ---
    put:
      tags: [clients]
      summary: Upload a logo (multipart field 'file', or the image as the body)
      requestBody: Picture
      responses:
        200: {description: The client, schema: Client}
        409: The client is archived
    """
    logo = picture_from_request("logo")
    return services.clients.update_client(client_id, logo_base64=logo)


@api.delete("/clients/<client_id>/logo")
@permission_required("edit_clients")
def delete_logo(client_id: str):
    """Remove the client's logo.
    ---
    delete:
      tags: [clients]
      summary: Remove the logo
      responses:
        200: {description: The client, schema: Client}
        409: The client is archived
    """
    return services.clients.update_client(client_id, logo_base64=None)


@api.get("/clients/<client_id>/logo")
@permission_required("view_clients")
def get_logo(client_id: str):
    """The client's logo image.
    ---
    get:
      tags: [clients]
      summary: Get the logo image
      responses:
        200: {description: The image, content: {image/png: {}, image/jpeg: {}}}
        404: No such client, or it has no logo
    """
    return picture_response(services.clients.get_logo(client_id))


# --- CSV import ----------------------------------------------------------------------------


def _import_body() -> tuple[dict, Iterator[bytes], str | None]:
    """The import request (JSON, or multipart: `file`, `kind`, `mapping` (JSON), `preview`), and
    its CSV in pieces, and the file's name."""
    if request.files or request.mimetype == "multipart/form-data":
        form = request.form
        mapping = form.get("mapping") or None
        if mapping:
            try:
                mapping = input_checks.load_json_text(mapping, "'mapping'")
            except ValueError:
                raise BadRequest("'mapping' must be a JSON object of column -> field.") from None
        body = {
            "kind": form.get("kind", "clients"),
            "preview": form.get("preview", "").lower() in ("1", "true", "yes", "on"),
        }
        if mapping is not None:
            body["mapping"] = mapping
        body = ImportRequest(exclude=["csv"]).load(body)
        upload = request.files.get("file")
        return body, csv_pieces(upload), upload.filename
    body = json_body(ImportRequest())
    return body, text_pieces(body["csv"]), None


@api.post("/clients/import")
@permission_required("create_clients")
def import_csv():
    """Preview or start a CSV import of clients or contacts.
    ---
    post:
      tags: [clients]
      summary: Import clients or contacts from CSV (preview=true only checks)
      requestBody:
        content:
          application/json:
            schema: ImportRequest
          multipart/form-data:
            schema:
              type: object
              properties:
                file:
                  type: string
                  format: binary
                kind:
                  type: string
                  enum: [clients, contacts]
                mapping:
                  type: string
                  description: JSON object {column header -> field}
                preview:
                  type: boolean
      responses:
        200: {description: The preview (preview=true), schema: ImportPreview}
        201: {description: "The import, finished (small files)", schema: ImportJob}
        202:
          description: The import, running in the background; poll GET /clients/import/{job_id}
          schema: ImportJob
    """
    body, pieces, filename = _import_body()
    upload_id = upload_csv(body["kind"], pieces, filename)
    if body["preview"]:
        try:
            return services.clients.preview_upload(upload_id, body.get("mapping"))
        finally:
            services.clients.discard_upload(upload_id)
    job = services.clients.start_upload(upload_id, body.get("mapping"))
    finished = job["status"] in ("done", "failed")
    return job, 201 if finished else 202


@api.get("/clients/import/<job_id>")
@permission_required("create_clients")
def get_import(job_id: str):
    """An import's progress and result.
    ---
    get:
      tags: [clients]
      summary: Get an import job
      responses:
        200: {description: The job, schema: ImportJob}
    """
    return services.clients.get_import(job_id)


# --- credential vault ----------------------------------------------------------------------


@api.get("/clients/<client_id>/vault")
@permission_required(permissions.VIEW_CLIENTS, permissions.VIEW_VAULT)
def list_vault(client_id: str):
    """The client's stored credentials, without passwords (view_vault, as to reveal one).
    ---
    get:
      tags: [vault]
      summary: List vault entries (no passwords; needs view_vault)
      responses:
        200: {description: The entries, schema: VaultEntryList}
    """
    return {"items": services.clients.list_vault_entries(client_id)}


@api.post("/clients/<client_id>/vault")
@permission_required("edit_clients")
def create_vault_entry(client_id: str):
    """Store a credential (the password is encrypted at rest).
    ---
    post:
      tags: [vault]
      summary: Add a vault entry
      requestBody: VaultEntryRequest
      responses:
        201: {description: The entry (without its password), schema: VaultEntry}
    """
    return services.clients.create_vault_entry(client_id, **json_body(VaultEntryRequest())), 201


@api.post("/clients/<client_id>/vault/<entry_id>/reveal")
@permission_required("view_vault")
def reveal_password(client_id: str, entry_id: str):
    """One entry's password; the reveal is recorded (who, when).
    ---
    post:
      tags: [vault]
      summary: Reveal a password (needs view_vault; audited)
      responses:
        200: {description: The password, schema: RevealedPassword}
    """
    secret = services.clients.reveal_vault_password(client_id, entry_id)
    return secret, 200, {"Cache-Control": "no-store"}


@api.get("/vault/reveals")
@permission_required("view_vault")
def list_reveals():
    """Who revealed which password, newest first.
    ---
    get:
      tags: [vault]
      summary: The reveal audit
      parameters: [{in: query, schema: RevealListQuery}]
      responses:
        200: {description: Reveals, schema: VaultRevealList}
        404: No such client (client_id)
    """
    args = query_args(RevealListQuery())
    return {"items": services.clients.list_vault_reveals(**args)}


# --- custom fields and tags ----------------------------------------------------------------


@api.get("/custom-fields")
@permission_required("view_clients")
def list_custom_fields():
    """The agency's custom client fields.
    ---
    get:
      tags: [clients]
      summary: List custom fields
      responses:
        200: {description: The fields, schema: CustomFieldList}
    """
    return {"items": services.clients.list_custom_fields()}


@api.post("/custom-fields")
@permission_required("manage_client_organizations")
def define_custom_field():
    """Define a custom client field.
    ---
    post:
      tags: [clients]
      summary: Add a custom field (text, number, date or choice)
      requestBody: CustomFieldRequest
      responses:
        201: {description: The field, schema: CustomField}
        409: Another custom field has this name
    """
    body = json_body(CustomFieldRequest())
    return services.clients.define_custom_field(
        body["name"], body["type"], body.get("choices")
    ), 201


@api.get("/tags")
@permission_required("view_clients")
def list_tags():
    """Every client tag with its number of clients.
    ---
    get:
      tags: [clients]
      summary: List tags
      responses:
        200: {description: The tags, schema: TagList}
    """
    return {"items": services.clients.list_tags()}
