"""The identity service's own nameko dependencies: its settings, and the background sender of
forgotten-password links."""

from __future__ import annotations

from nameko.extensions import DependencyProvider
from sqlalchemy.orm import Session

from identity import credentials
from identity.settings import Settings
from kit.polling import PollingPublisher


class IdentitySettings(DependencyProvider):
    """The service's `Settings`, read from its configuration when the container starts."""

    def setup(self) -> None:
        self.settings = Settings.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> Settings:
        return self.settings


class PasswordResetSender(PollingPublisher):
    """Turns waiting forgotten-password requests into reset links (outbox events the relay
    publishes), in a thread of its own, a moment after `request_password_reset` replied."""

    interval = 0.2

    def poll(self, session: Session) -> bool:
        with session.begin():
            handled = credentials.send_requested_resets(session)
        return handled == credentials.RESET_BATCH
