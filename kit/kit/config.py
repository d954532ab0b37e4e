"""Loading a service's configuration: its `config.yaml`, with `${VAR:default}` from the
environment, exactly as `nameko run --config` reads it. The one place configuration is read."""

from __future__ import annotations

import importlib.resources

import yaml
from nameko.cli.main import setup_yaml_parser

setup_yaml_parser()


def load_config(package: str) -> dict:
    """The configuration of the service in `package` (e.g. "identity")."""
    text = importlib.resources.files(package).joinpath("config.yaml").read_text()
    return yaml.safe_load(text)
