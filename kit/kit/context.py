"""The caller's context that the gateway passes as the first argument of every RPC.

Services take `agency_id` only from here, and check permissions again with `require`.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from kit.errors import PermissionDenied, Unauthenticated
from kit.permissions import refusal

TEAM = "user"
PORTAL = "contact"
SYSTEM = "system"


@dataclass(frozen=True)
class Context:
    agency_id: str | None
    request_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    principal_id: str | None = None
    kind: str = TEAM  # "user" (team member), "contact" (client portal), "system"
    permissions: frozenset[str] = frozenset()
    client_id: str | None = None  # set for portal principals: the only client they reach
    contact_id: str | None = None  # set for portal principals: the contact they are

    @classmethod
    def from_dict(cls, data: dict[str, Any] | Context) -> Context:
        if isinstance(data, Context):
            return data
        if not isinstance(data, dict):
            raise Unauthenticated("missing call context")
        return cls(
            agency_id=data.get("agency_id"),
            request_id=data.get("request_id") or uuid.uuid4().hex,
            principal_id=data.get("principal_id"),
            kind=data.get("kind", TEAM),
            permissions=frozenset(data.get("permissions") or ()),
            client_id=data.get("client_id"),
            contact_id=data.get("contact_id"),
        )

    @classmethod
    def system(cls, agency_id: str | None, request_id: str | None = None) -> Context:
        """A context for work the platform does itself (event handlers, timers)."""
        return cls(agency_id=agency_id, request_id=request_id or uuid.uuid4().hex, kind=SYSTEM)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["permissions"] = sorted(self.permissions)
        return data

    @property
    def agency(self) -> uuid.UUID:
        """The caller's agency id; every query filters by it."""
        if not self.agency_id:
            raise Unauthenticated("no agency in context")
        return uuid.UUID(str(self.agency_id))

    def can(self, permission: str) -> bool:
        return self.kind == SYSTEM or permission in self.permissions

    def require(self, *permissions: str) -> None:
        """Raise PermissionDenied unless the caller holds every permission named."""
        if self.kind == PORTAL:
            raise PermissionDenied("the client portal cannot do this")
        missing = [p for p in permissions if not self.can(p)]
        if missing:
            raise PermissionDenied(refusal(missing), {"permission": missing})

    def require_any(self, *permissions: str) -> None:
        """Raise PermissionDenied unless the caller holds at least one of the permissions named."""
        if self.kind == PORTAL:
            raise PermissionDenied("the client portal cannot do this")
        if not any(self.can(p) for p in permissions):
            raise PermissionDenied(
                refusal(list(permissions), any_of=True), {"permission": list(permissions)}
            )
