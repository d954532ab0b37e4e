"""Outside development the gateway will not run on a made-up secret or a plain-HTTP cookie."""

import pytest

from gateway.config import from_env


def test_production_without_a_secret_key_refuses_to_start(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        from_env()


def test_production_refuses_the_compose_files_development_key(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "development-only-not-secret")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        from_env()


def test_an_auth_cache_over_one_second_refuses_to_start(monkeypatch):
    from gateway.app import create_app

    monkeypatch.setenv("AUTH_CACHE_SECONDS", "5")
    with pytest.raises(RuntimeError, match="AUTH_CACHE_SECONDS"):
        create_app({"TESTING": True, "SECRET_KEY": "test"})


def test_production_sends_the_session_cookie_over_https_only(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    config = from_env()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SECRET_KEY"] == "k" * 40


def test_development_works_with_no_settings(monkeypatch):
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    config = from_env()
    assert len(config["SECRET_KEY"]) >= 32 and config["SESSION_COOKIE_SECURE"] is False
