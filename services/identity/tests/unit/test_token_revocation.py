"""API tokens do not outlive account recovery: a password reset, a password set by an
administrator and a deactivation end every session and revoke every API token (a reactivation
brings none back); a change of password by its owner ends the other sessions and revokes the
tokens only when the owner asks."""

from __future__ import annotations

import pytest

from identity import api_tokens, credentials, one_time, sessions, users
from identity.models import User
from kit.context import Context
from kit.errors import Unauthenticated

NEW_PASSWORD = "a-brand-new-password-7"
ANON = Context(agency_id=None)


@pytest.fixture
def member(add_user):
    return add_user("member@acme.test")


@pytest.fixture
def member_token(call, member):
    ctx, _ = member
    return call(api_tokens.create_api_token, ctx, "CI")["token"]


def _token_works(call, token) -> bool:
    try:
        call(api_tokens.authenticate_api_token, ANON, token)
    except Unauthenticated:
        return False
    return True


def test_a_password_reset_revokes_every_api_token(call, session, member, member_token):
    _, user = member
    reset = call(one_time.issue, session.get(User, user["id"]), one_time.PASSWORD_RESET)[0]
    call(credentials.reset_password, ANON, reset, NEW_PASSWORD)
    assert not _token_works(call, member_token)


def test_a_password_set_by_an_administrator_revokes_every_api_token(
    call, owner, member, member_token
):
    call(users.update_user, owner, member[1]["id"], {"password": NEW_PASSWORD})
    assert not _token_works(call, member_token)


def test_a_deactivated_users_tokens_stay_dead_after_reactivation(call, owner, member, member_token):
    call(users.deactivate_user, owner, member[1]["id"])
    call(users.reactivate_user, owner, member[1]["id"])
    assert not _token_works(call, member_token)


@pytest.mark.parametrize("revoke", [False, True])
def test_changing_ones_password_ends_other_sessions_and_revokes_tokens_when_asked(
    call, member, member_token, settings, revoke
):
    ctx, user = member
    other = call(sessions.start_session, call_user(call, user), settings=settings)
    answer = call(
        credentials.change_password,
        ctx,
        "correct-horse-battery",
        NEW_PASSWORD,
        None,
        revoke,
        settings=settings,
    ).result()
    with pytest.raises(Unauthenticated):
        call(sessions.authenticate_session, ANON, other, settings=settings)
    assert call(sessions.authenticate_session, ANON, answer["session_token"], settings=settings)
    assert _token_works(call, member_token) is not revoke


def call_user(call, user: dict) -> User:
    return call(lambda session: session.get(User, user["id"]))
