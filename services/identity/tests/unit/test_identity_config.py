"""identity's config.yaml: the keys of the contract, the kit's logging, env defaults."""

from __future__ import annotations

from kit.config import load_config
from kit.logs import logging_config


def test_logging_is_the_kit_logging_config():
    assert load_config("identity")["LOGGING"] == logging_config()


def test_local_defaults_point_at_the_local_database_and_broker(monkeypatch):
    monkeypatch.delenv("IDENTITY_DATABASE_URL", raising=False)
    monkeypatch.delenv("AMQP_URI", raising=False)
    config = load_config("identity")
    assert config["DATABASE_URL"] == "postgresql+psycopg://postgres@127.0.0.1/agency_identity"
    assert config["AMQP_URI"] == "pyamqp://guest:guest@127.0.0.1"
    assert config["serializer"] == "json"
    assert config["RPC_TIMEOUT"] and config["max_workers"]


def test_the_database_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("IDENTITY_DATABASE_URL", "postgresql+psycopg://elsewhere/identity")
    assert load_config("identity")["DATABASE_URL"] == "postgresql+psycopg://elsewhere/identity"
