"""The identity service's own nameko dependency: the background sender of forgotten-password
links."""

from __future__ import annotations

from sqlalchemy.orm import Session

from identity import credentials
from kit.polling import PollingPublisher


class PasswordResetSender(PollingPublisher):
    """Turns waiting forgotten-password requests into reset links (outbox events the relay
    publishes), in a thread of its own, a moment after `request_password_reset` replied."""

    interval = 0.2

    def poll(self, session: Session) -> bool:
        with session.begin():
            handled = credentials.send_requested_resets(session)
        return handled == credentials.RESET_BATCH
