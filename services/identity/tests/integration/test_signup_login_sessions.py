"""Signing up, logging in and out, sessions and API tokens, over RPC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kit.errors import Conflict, PermissionDenied, Unauthenticated, ValidationError
from kit.permissions import DESCRIPTIONS as PERMISSIONS


def test_health_answers(identity, anonymous):
    assert identity.health(anonymous) == {"service": "identity", "ok": True}


def test_signup_creates_the_agency_its_owner_and_a_fourteen_day_trial(
    identity, signup, as_principal
):
    result = signup()
    principal = result["principal"]
    assert principal["kind"] == "user"
    assert principal["role"]["name"] == "Owner"
    assert set(principal["permissions"]) == set(PERMISSIONS)
    assert principal["agency_id"] == result["agency"]["id"]

    agency = identity.get_agency(as_principal(principal))
    assert agency["name"] == "Acme"
    assert agency["subscription_status"] == "trialing"
    assert agency["trial_days_left"] == 14
    trial_ends = datetime.fromisoformat(agency["trial_ends_at"])
    assert 13.9 < (trial_ends - datetime.now(UTC)).total_seconds() / 86400 <= 14
    assert agency["plan"]["code"] == "growth"

    assert identity.authenticate_session({}, result["session_token"]) == principal


def test_entitlements_show_the_trial_plan_limits_and_active_users(identity, owner_ctx, add_user):
    add_user("mem@acme.test")
    entitlements = identity.get_entitlements(owner_ctx)
    assert entitlements["client_limit"] == 100
    assert entitlements["price_per_user"] == {"amount": 2900, "currency": "USD"}
    assert entitlements["active_users"] == 2
    assert entitlements["subscription_status"] == "trialing"
    assert entitlements["trial_ends_at"]
    plans = {p["code"]: p for p in identity.list_plans({})}
    assert plans["agency"]["client_limit"] is None
    assert plans["starter"]["price_per_user"] == {"amount": 1900, "currency": "USD"}


def test_duplicate_signup_email_is_a_conflict_regardless_of_case(signup):
    signup()
    with pytest.raises(Conflict) as raised:
        signup(email="OWNER@acme.test", agency_name="Copycat")
    assert "email" in raised.value.fields


def test_signup_reports_every_bad_field_at_once(identity, anonymous):
    with pytest.raises(ValidationError) as raised:
        identity.signup(anonymous, "", "Olive", "not-an-email", "short")
    assert set(raised.value.fields) == {"agency_name", "email", "password"}


def test_each_login_gives_a_new_session_and_logout_ends_only_that_one(identity, signup, anonymous):
    first = signup()["session_token"]
    second = identity.login(anonymous, "owner@acme.test", "correct-horse-battery", "192.0.2.1")
    third = identity.login(anonymous, "Owner@Acme.test", "correct-horse-battery", "192.0.2.1")
    assert len({first, second["session_token"], third["session_token"]}) == 3

    identity.logout(anonymous, second["session_token"])
    with pytest.raises(Unauthenticated):
        identity.authenticate_session(anonymous, second["session_token"])
    assert identity.authenticate_session(anonymous, first)["email"] == "owner@acme.test"


def test_wrong_password_and_unknown_email_get_the_same_answer(identity, signup, anonymous):
    signup()
    with pytest.raises(Unauthenticated) as wrong_password:
        identity.login(anonymous, "owner@acme.test", "not-the-password", "192.0.2.1")
    with pytest.raises(Unauthenticated) as unknown:
        identity.login(anonymous, "nobody@acme.test", "correct-horse-battery", "192.0.2.1")
    assert wrong_password.value.message == unknown.value.message


def test_api_token_authenticates_records_its_use_and_stops_when_revoked(identity, owner_ctx):
    created = identity.create_api_token(owner_ctx, "Zapier")
    assert set(created) == {"id", "name", "token", "created_at", "last_used_at"}
    assert created["last_used_at"] is None

    principal = identity.authenticate_api_token({}, created["token"])
    assert principal["principal_id"] == owner_ctx["principal_id"]
    [listed] = identity.list_api_tokens(owner_ctx)
    assert "token" not in listed
    assert listed["last_used_at"] is not None

    identity.revoke_api_token(owner_ctx, created["id"])
    with pytest.raises(Unauthenticated):
        identity.authenticate_api_token({}, created["token"])


def test_tokens_are_only_the_callers_own(identity, owner_ctx, add_user):
    token = identity.create_api_token(owner_ctx, "Mine")
    admin_ctx, _ = add_user("ada@acme.test", "Admin")
    assert identity.list_api_tokens(admin_ctx) == []
    with pytest.raises(Exception) as raised:
        identity.revoke_api_token(admin_ctx, token["id"])
    assert raised.type.__name__ == "NotFound"


def test_portal_contacts_have_no_api_tokens(identity, owner_ctx):
    portal_ctx = {**owner_ctx, "kind": "contact", "permissions": []}
    with pytest.raises(PermissionDenied):
        identity.create_api_token(portal_ctx, "Nope")
