"""The identity service's own settings: session lifetimes and login throttle limits.

They are read from `config.yaml` (the one place configuration comes from; `${VAR:default}` from
the environment) once when the service starts (`kit.config.ServiceSettings`), and handed to the
domain functions that need them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from kit.config import positive_int


@dataclass(frozen=True)
class Settings:
    session_idle: timedelta  # a session unused this long ends
    session_max_age: timedelta  # and every session ends this long after its login, used or not
    login_max_account_failures: int  # failed logins per account within the window
    login_max_ip_failures: int  # failed logins per IP address within the window
    login_window: timedelta

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a missing or bad value stops the service."""
        return cls(
            session_idle=timedelta(days=positive_int(config, "SESSION_IDLE_DAYS")),
            session_max_age=timedelta(days=positive_int(config, "SESSION_MAX_DAYS")),
            login_max_account_failures=positive_int(config, "LOGIN_MAX_ACCOUNT_FAILURES"),
            login_max_ip_failures=positive_int(config, "LOGIN_MAX_IP_FAILURES"),
            login_window=timedelta(minutes=positive_int(config, "LOGIN_WINDOW_MINUTES")),
        )
