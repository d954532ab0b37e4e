"""A service's configuration: its `config.yaml`, with `${VAR:default}` from the environment,
exactly as `nameko run --config` reads it, and the typed settings a service builds from it once
when its container starts. The one place configuration is read.

A service's settings are a frozen dataclass with a `from_config(config)` classmethod (see
`identity/settings.py`), declared on the service as `settings = ServiceSettings(Settings)`; domain
functions get the settings (or one value of them) as an argument, never the raw config.
"""

from __future__ import annotations

import importlib.resources
from typing import Any, Generic, Protocol, TypeVar

import yaml
from nameko.cli.main import setup_yaml_parser
from nameko.extensions import DependencyProvider

setup_yaml_parser()


class FromConfig(Protocol):
    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Any: ...


S = TypeVar("S", bound=FromConfig)


def load_config(package: str) -> dict:
    """The configuration of the service in `package` (e.g. "identity")."""
    text = importlib.resources.files(package).joinpath("config.yaml").read_text()
    return yaml.safe_load(text)


def positive_int(config: dict[str, Any], key: str) -> int:
    """`config[key]` as a whole number of at least 1; anything else stops the service, naming
    the setting."""
    value = config.get(key)
    try:
        number = int(str(value).strip())
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{key} must be a whole number of at least 1, not {value!r}")
    return number


class ServiceSettings(DependencyProvider, Generic[S]):
    """The service's settings object, built from its configuration when the container starts
    (so a bad value stops the start, not a request)."""

    def __init__(self, settings_class: type[S]):
        self.settings_class = settings_class

    def setup(self) -> None:
        self.settings = self.settings_class.from_config(self.container.config)

    def get_dependency(self, worker_ctx) -> S:
        return self.settings
