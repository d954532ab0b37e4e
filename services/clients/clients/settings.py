"""The clients service's own settings, read from its `config.yaml` once when the service starts
(`kit.config.ServiceSettings`) and handed to the domain functions that need them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kit.config import positive_int


@dataclass(frozen=True)
class Settings:
    invitations_per_hour: int  # invitation e-mails (first sends and resends) an agency may send
    max_attachment_bytes: int  # the largest file a request or comment may carry

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a missing or bad value stops the service."""
        return cls(
            invitations_per_hour=positive_int(config, "INVITATIONS_PER_HOUR"),
            max_attachment_bytes=positive_int(config, "MAX_ATTACHMENT_BYTES"),
        )
