"""GET /healthz: 200 when every service answers its `health` RPC in time, 503 otherwise."""

from __future__ import annotations

from flask import Blueprint, jsonify

from gateway.rpc import services
from kit.errors import DomainError

bp = Blueprint("health", __name__)

SERVICES = ["identity", "notifications", "clients", "billing", "reporting"]


@bp.get("/healthz")
def healthz():
    """Each service's health, and 503 if any does not answer."""
    report = {}
    for name in SERVICES:
        try:
            report[name] = bool(getattr(services, name).health().get("ok"))
        except DomainError:
            report[name] = False
    status = 200 if all(report.values()) else 503
    return jsonify({"ok": status == 200, "services": report}), status
