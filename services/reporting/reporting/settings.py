"""The reporting service's own settings, read from `config.yaml` once when it starts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kit.config import positive_int


@dataclass(frozen=True)
class Settings:
    rebuild_page_size: int = 100  # rows per page the rebuild asks of billing and clients

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a bad value stops the service."""
        return cls(rebuild_page_size=min(positive_int(config, "REBUILD_PAGE_SIZE"), 100))
