"""The billing service's own nameko dependencies."""

from __future__ import annotations

from nameko.extensions import DependencyProvider

from billing.settings import Settings


class BillingSettings(DependencyProvider):
    """The service's `Settings`, read from its configuration when the container starts."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings
