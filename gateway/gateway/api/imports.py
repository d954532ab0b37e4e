"""/api/v1 CSV import of clients or contacts: preview, start, and follow a job."""

from __future__ import annotations

from collections.abc import Iterator

from flask import request
from werkzeug.exceptions import BadRequest

from gateway import input_checks
from gateway.api.base import api, json_body
from gateway.api.client_schemas import ImportRequest
from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import csv_pieces, text_pieces, upload_csv
from kit import permissions


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
            "skip_updates": form.get("skip_updates", "").lower() in ("1", "true", "yes", "on"),
        }
        if mapping is not None:
            body["mapping"] = mapping
        body = ImportRequest(exclude=["csv"]).load(body)
        upload = request.files.get("file")
        return body, csv_pieces(upload), upload.filename
    body = json_body(ImportRequest)
    return body, text_pieces(body["csv"]), None


@api.post("/clients/import")
@permission_required(permissions.CREATE_CLIENTS)
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
                skip_updates:
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
            return services.clients.preview_upload(
                upload_id, body.get("mapping"), body["skip_updates"]
            )
        finally:
            services.clients.discard_upload(upload_id)
    job = services.clients.start_upload(upload_id, body.get("mapping"), body["skip_updates"])
    finished = job["status"] in ("done", "failed")
    return job, 201 if finished else 202


@api.get("/clients/import/<job_id>")
@permission_required(permissions.CREATE_CLIENTS)
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
