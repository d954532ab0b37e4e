"""The identity service's own settings: session lifetimes and login throttling.

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
    # Login throttling (see throttle.py): all counted within login_window.
    login_window: timedelta
    login_free_failures: int  # per account and address before delays start
    login_delay: timedelta  # the first delay; it doubles with each further failure
    login_max_delay: timedelta  # ...up to this
    login_ip_slow_after: int  # failures from one address after which each attempt waits
    login_ip_delay: timedelta  # ...this long after the address's last failure
    login_max_account_failures: int  # from every address: past it, only the reset link works

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Settings:
        """The settings in a loaded config.yaml; a missing or bad value stops the service."""
        return cls(
            session_idle=timedelta(days=positive_int(config, "SESSION_IDLE_DAYS")),
            session_max_age=timedelta(days=positive_int(config, "SESSION_MAX_DAYS")),
            login_window=timedelta(minutes=positive_int(config, "LOGIN_WINDOW_MINUTES")),
            login_free_failures=positive_int(config, "LOGIN_FREE_FAILURES"),
            login_delay=timedelta(seconds=positive_int(config, "LOGIN_DELAY_SECONDS")),
            login_max_delay=timedelta(seconds=positive_int(config, "LOGIN_MAX_DELAY_SECONDS")),
            login_ip_slow_after=positive_int(config, "LOGIN_IP_SLOW_AFTER"),
            login_ip_delay=timedelta(seconds=positive_int(config, "LOGIN_IP_DELAY_SECONDS")),
            login_max_account_failures=positive_int(config, "LOGIN_MAX_ACCOUNT_FAILURES"),
        )
