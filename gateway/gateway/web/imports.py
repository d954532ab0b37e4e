"""The "Add bulk clients" / contacts CSV import pages, shared by the two tabs:
upload -> column mapping and preview (per-row errors with line numbers) -> import in the
background with a progress bar (polling a JSON endpoint) -> result summary.

The upload is streamed to the clients service in pieces (`create_import`, `append_import_chunk`)
as soon as it arrives; the later steps carry only the upload's id (a hidden field), so the file
is neither kept in the gateway nor sent back and forth through the browser.
"""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, request, url_for

from gateway.auth import permission_required
from gateway.rpc import services
from gateway.uploads import TooLarge, csv_pieces, upload_csv
from kit import permissions
from kit.errors import Conflict, DomainError, ValidationError

TITLES = {"clients": "Add bulk clients", "contacts": "Import contacts"}


def _mapping_from_form() -> dict:
    """One select per CSV column (`map_<n>`, in the order of `columns`): {column: field}."""
    columns = request.form.getlist("columns")
    return {
        column: request.form.get(f"map_{number}") or None for number, column in enumerate(columns)
    }


def register(bp: Blueprint, kind: str) -> None:
    """Add the import pages to `bp` (the clients or contacts blueprint)."""
    title = TITLES[kind]

    @bp.get("/import", endpoint="import_upload")
    @permission_required(permissions.CREATE_CLIENTS)
    def upload():
        """Step 1: choose the CSV file."""
        return render_template("clients/import_upload.html", title=title, kind=kind)

    @bp.post("/import", endpoint="import_preview")
    @permission_required(permissions.CREATE_CLIENTS)
    def preview():
        """Step 2: map the file's columns and look at the first rows and their errors."""

        def upload_page(exc: DomainError, status: int):
            page = render_template(
                "clients/import_upload.html", title=title, kind=kind, error=exc.message
            )
            return page, status

        upload_id = request.form.get("upload")
        try:
            if not upload_id:
                upload = request.files.get("file")
                upload_id = upload_csv(kind, csv_pieces(upload), upload.filename)
        except (ValidationError, TooLarge) as exc:
            return upload_page(exc, exc.http_status)
        mapping = _mapping_from_form() if request.form.get("mapped") else None
        try:
            result = services.clients.preview_upload(upload_id, mapping)
        except ValidationError as exc:
            return upload_page(exc, 422)
        except Conflict:  # sent again after the import started (the back button)
            return redirect(url_for(f"{bp.name}.import_job", job_id=upload_id))
        if request.form.get("action") == "import" and not result["missing_fields"]:
            job = services.clients.start_upload(upload_id, result["mapping"])
            return redirect(url_for(f"{bp.name}.import_job", job_id=job["id"]))
        return render_template(
            "clients/import_preview.html",
            title=title,
            kind=kind,
            upload_id=upload_id,
            preview=result,
        )

    @bp.get("/import/<job_id>", endpoint="import_job")
    @permission_required(permissions.CREATE_CLIENTS)
    def job(job_id: str):
        """Step 3: the progress bar, then the result summary."""
        job = services.clients.get_import(job_id)
        return render_template("clients/import_job.html", title=title, kind=kind, job=job)

    @bp.get("/import/<job_id>/status", endpoint="import_status")
    @permission_required(permissions.CREATE_CLIENTS)
    def status(job_id: str):
        """The progress the page polls."""
        try:
            return jsonify(services.clients.get_import(job_id))
        except DomainError as exc:
            return jsonify({"error": exc.to_dict()}), exc.http_status
