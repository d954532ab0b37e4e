"""identity's config.yaml: the keys of the contract, the kit's logging, env defaults."""

from __future__ import annotations

import pytest

from identity.settings import Settings
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


def test_session_and_throttle_settings_have_local_defaults(settings):
    assert (settings.session_idle.days, settings.session_max_age.days) == (14, 30)
    assert settings.login_free_failures == 3
    assert settings.login_ip_slow_after == 100
    assert settings.login_max_account_failures == 500
    assert settings.login_window.total_seconds() == 15 * 60


def test_session_and_throttle_settings_come_from_the_environment(monkeypatch):
    for key, value in {
        "SESSION_IDLE_DAYS": "7",
        "SESSION_MAX_DAYS": "21",
        "LOGIN_MAX_ACCOUNT_FAILURES": "3",
        "LOGIN_IP_SLOW_AFTER": "500",
        "LOGIN_MAX_DELAY_SECONDS": "60",
        "LOGIN_WINDOW_MINUTES": "5",
    }.items():
        monkeypatch.setenv(key, value)
    settings = Settings.from_config(load_config("identity"))
    assert (settings.session_idle.days, settings.session_max_age.days) == (7, 21)
    assert settings.login_max_account_failures == 3
    assert settings.login_ip_slow_after == 500
    assert settings.login_max_delay.total_seconds() == 60
    assert settings.login_window.total_seconds() == 5 * 60


@pytest.mark.parametrize("value", ["0", "-1", "many", ""])
def test_a_bad_setting_stops_the_service_with_its_name(monkeypatch, value):
    monkeypatch.setenv("LOGIN_IP_SLOW_AFTER", value)
    with pytest.raises(ValueError, match="LOGIN_IP_SLOW_AFTER"):
        Settings.from_config(load_config("identity"))
