"""Gateway tests run under eventlet like the services' (one pytest run collects both), and use a
fake RPC client: the gateway's own behaviour (errors, validation, CSRF, permissions, the OpenAPI
document) needs no running service. What identity answers is proven end to end in tests/e2e.
"""

import eventlet

eventlet.monkey_patch()

import pytest  # noqa: E402

from gateway.app import create_app  # noqa: E402
from kit.errors import Unauthenticated  # noqa: E402

OWNER = {
    "principal_id": "00000000-0000-0000-0000-0000000000a1",
    "kind": "user",
    "agency_id": "00000000-0000-0000-0000-00000000a9e1",
    "name": "Olivia Owner",
    "email": "olivia@example.com",
    "role": {"id": "00000000-0000-0000-0000-0000000000f1", "name": "Owner"},
    "permissions": ["manage_settings", "manage_users", "view_clients", "view_reports"],
    "client_id": None,
    "contact_id": None,
}
MEMBER = {
    **OWNER,
    "principal_id": "00000000-0000-0000-0000-0000000000b2",
    "name": "Mia Member",
    "email": "mia@example.com",
    "role": {"id": "00000000-0000-0000-0000-0000000000f4", "name": "Member"},
    "permissions": ["view_clients", "view_reports"],
}
CONTACT = {
    **OWNER,
    "principal_id": "00000000-0000-0000-0000-0000000000c3",
    "kind": "contact",
    "role": None,
    "permissions": [],
    "client_id": "00000000-0000-0000-0000-0000000000d4",
    "contact_id": "00000000-0000-0000-0000-0000000000e5",
}
AGENCY = {
    "id": OWNER["agency_id"],
    "name": "Acme Marketing",
    "timezone": "UTC",
    "plan": {
        "code": "growth",
        "name": "Growth",
        "client_limit": 100,
        "price_per_user": {"amount": 2900, "currency": "USD"},
    },
    "trial_ends_at": "2026-12-06T02:35:02+00:00",
    "trial_days_left": 14,
    "subscription_status": "trialing",
}
REQUEST_COUNTS = {"open": 0, "unread": 0, "assigned_to_me": 0}
TOKENS = {"owner-token": OWNER, "member-token": MEMBER, "contact-token": CONTACT}


class FakeRpc:
    """Stands in for kit.rpc.RpcClient: answers from `answers`, records every call."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict, tuple, dict]] = []
        self.answers = {
            ("identity", "authenticate_api_token"): self._authenticate,
            ("identity", "get_agency"): lambda *a, **k: AGENCY,
            # the navigation's Requests badge, on every team page
            ("clients", "count_requests"): lambda *a, **k: REQUEST_COUNTS,
        }

    @staticmethod
    def _authenticate(token):
        if token not in TOKENS:
            raise Unauthenticated("This API token is not valid.")
        return TOKENS[token]

    def call(self, service, method, ctx, *args, **kwargs):
        self.calls.append((service, method, ctx, args, kwargs))
        answer = self.answers.get((service, method))
        if answer is None:
            raise AssertionError(f"unexpected rpc {service}.{method}")
        return answer(*args, **kwargs)

    def methods(self) -> list[str]:
        return [f"{service}.{method}" for service, method, *_ in self.calls]


@pytest.fixture
def app():
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True})
    app.extensions["rpc"] = FakeRpc()
    return app


@pytest.fixture
def rpc(app) -> FakeRpc:
    return app.extensions["rpc"]


@pytest.fixture
def client(app):
    return app.test_client()
