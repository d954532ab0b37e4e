"""The billing service: the service catalog, assignments, time notes, billing runs, invoices.

Entrypoints only hand over to the domain modules (`self.db.write` commits before the reply);
every method takes the caller's context first; see docs/contracts.md ("billing").
"""

from __future__ import annotations

from billing.dependencies import BillingSettings
from kit.db import Database
from kit.outbox import OutboxRelay
from kit.service import RequestLogging, rpc


class BillingService:
    name = "billing"

    db = Database()
    settings = BillingSettings()
    outbox = OutboxRelay()
    request_logging = RequestLogging()

    @rpc
    def health(self, ctx):
        return {"service": self.name, "ok": True}
