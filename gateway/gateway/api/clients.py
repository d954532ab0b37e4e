"""/api/v1 clients: list, create, read, edit, status, archive, logo, custom fields and tags
(CSV import: api/imports.py; the credential vault: api/vault.py). Permissions are checked here
and again in the clients service."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import UnsupportedMediaType

from gateway.api.base import api, json_body, query_args
from gateway.api.client_schemas import (
    BillingContactRequest,
    ClientCreateRequest,
    ClientListQuery,
    ClientStatusRequest,
    ClientUpdateRequest,
    CustomFieldRequest,
    CustomFieldUpdateRequest,
)
from gateway.api.paging import PageQuery, page_of
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import picture_base64, picture_response, raw_body_base64
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
@permission_required(permissions.VIEW_CLIENTS)
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
    args = query_args(ClientListQuery)
    field, value = args.pop("field", None), args.pop("value", None)
    if field and value:
        args["custom_fields"] = {field: value}
    return services.clients.list_clients(**args)


@api.post("/clients")
@permission_required(permissions.CREATE_CLIENTS)
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
    return services.clients.create_client(**json_body(ClientCreateRequest)), 201


@api.get("/clients/<client_id>")
@permission_required(permissions.VIEW_CLIENTS)
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
@permission_required(permissions.EDIT_CLIENTS)
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
    return services.clients.update_client(client_id, **json_body(ClientUpdateRequest))


@api.post("/clients/<client_id>/status")
@permission_required(permissions.EDIT_CLIENTS)
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
    body = json_body(ClientStatusRequest)
    return services.clients.set_client_status(client_id, body["status"])


@api.put("/clients/<client_id>/billing-contact")
@permission_required(permissions.EDIT_CLIENTS)
def set_billing_contact(client_id: str):
    """Choose whom the client's invoices, receipts and card-update links reach.
    ---
    put:
      tags: [clients]
      summary: Set a client's billing contact
      requestBody: BillingContactRequest
      responses:
        200: {description: The client, schema: Client}
        409: The client is archived
    """
    body = json_body(BillingContactRequest)
    return services.clients.set_billing_contact(client_id, body["contact_id"])


@api.post("/clients/<client_id>/archive")
@permission_required(permissions.DELETE_CLIENTS)
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
@permission_required(permissions.DELETE_CLIENTS)
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
@permission_required(permissions.EDIT_CLIENTS)
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
@permission_required(permissions.EDIT_CLIENTS)
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
@permission_required(permissions.VIEW_CLIENTS)
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


# --- custom fields and tags ----------------------------------------------------------------


@api.get("/custom-fields")
@permission_required(permissions.VIEW_CLIENTS)
def list_custom_fields():
    """The agency's custom client fields.
    ---
    get:
      tags: [clients]
      summary: List custom fields
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of fields, schema: CustomFieldPage}
    """
    return page_of(services.clients.list_custom_fields(), **query_args(PageQuery))


@api.post("/custom-fields")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
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
    body = json_body(CustomFieldRequest)
    return services.clients.define_custom_field(
        body["name"], body["type"], body.get("choices"), body.get("required", False)
    ), 201


@api.patch("/custom-fields/<field_id>")
@permission_required(permissions.MANAGE_CLIENT_ORGANIZATIONS)
def update_custom_field(field_id: str):
    """Rename a custom field, change its choices or whether it is required.
    ---
    patch:
      tags: [clients]
      summary: Update a custom field (only the fields given change)
      requestBody: CustomFieldUpdateRequest
      responses:
        200: {description: The field, schema: CustomField}
        404: No such custom field
        409: Another custom field has this name
    """
    body = json_body(CustomFieldUpdateRequest)
    return services.clients.update_custom_field(field_id, **body)


@api.get("/tags")
@permission_required(permissions.VIEW_CLIENTS)
def list_tags():
    """Every client tag with its number of clients.
    ---
    get:
      tags: [clients]
      summary: List tags
      parameters: [{in: query, schema: PageQuery}]
      responses:
        200: {description: One page of tags, schema: TagPage}
    """
    return page_of(services.clients.list_tags(), **query_args(PageQuery))
