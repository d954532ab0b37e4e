"""Domain errors that travel over RPC and map to one HTTP status each in the gateway."""

from __future__ import annotations

import json
from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose; carries a message and field messages."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, fields: dict[str, Any] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def __str__(self) -> str:
        # nameko serialises a remote exception as str(exc): keep both parts in it.
        return json.dumps({"message": self.message, "fields": self.fields})

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "fields": self.fields}

    @classmethod
    def from_wire(cls, value: str) -> DomainError:
        """Rebuild the error from the string nameko carried across RPC."""
        try:
            data = json.loads(value)
            return cls(data["message"], data.get("fields") or {})
        except (ValueError, TypeError, KeyError):
            return cls(value)


class NotFound(DomainError):
    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    code = "permission_denied"
    http_status = 403


class Unauthenticated(DomainError):
    code = "unauthenticated"
    http_status = 401


class ValidationError(DomainError):
    code = "validation_error"
    http_status = 422


class Conflict(DomainError):
    code = "conflict"
    http_status = 409


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    http_status = 402


class RateLimited(DomainError):
    code = "rate_limited"
    http_status = 429


class PaymentFailed(DomainError):
    code = "payment_failed"
    http_status = 402


class SubscriptionRequired(DomainError):
    """The agency is read-only (its trial ended, its renewal failed, its subscription ran out)
    until it subscribes: the gateway refuses every change with this."""

    code = "subscription_required"
    http_status = 402


class StripeKeyRefused(Conflict):
    """Stripe refused the agency's own secret key (revoked, rolled or wrong: its
    AuthenticationError or PermissionError): nothing that needs the agency's Stripe account is
    tried until the agency enters a working key. Neither a decline (the client's card is not at
    fault) nor Stripe being away (trying again changes nothing)."""

    code = "stripe_key_refused"


class ServiceUnavailable(DomainError):
    code = "service_unavailable"
    http_status = 503


ERRORS_BY_NAME: dict[str, type[DomainError]] = {
    cls.__name__: cls
    for cls in (
        DomainError,
        NotFound,
        PermissionDenied,
        Unauthenticated,
        ValidationError,
        Conflict,
        LimitExceeded,
        RateLimited,
        PaymentFailed,
        SubscriptionRequired,
        StripeKeyRefused,
        ServiceUnavailable,
    )
}
