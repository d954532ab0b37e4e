"""The password policy and argon2id hashing."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from identity import logins, passwords
from identity.models import User
from kit.context import Context
from kit.errors import ValidationError


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("short1!", "at least 10"),
        ("", "Enter a password"),
        ("aaaaaaaaaaaa", "single character"),
        ("Password123", "too common"),
        ("qwertyuiop", "too common"),
        ("jane.doe@example.com", "e-mail"),
        ("Jane.Doe.Example", None),
        ("x" * 129 + "y", "at most"),
    ],
)
def test_password_policy_names_the_problem(password, problem):
    found = passwords.password_problem(password, "jane.doe@example.com")
    if problem is None:
        assert found is None
    else:
        assert problem in found


def test_password_equal_to_the_email_local_part_is_refused():
    assert "e-mail" in passwords.password_problem("jane.doe.smith", "Jane.Doe.Smith@example.com")


def test_weak_password_raises_validation_error_on_the_password_field():
    with pytest.raises(ValidationError) as raised:
        passwords.check_password_policy("letmein123", "a@b.test")
    assert set(raised.value.fields) == {"password"}


def test_non_string_password_is_a_validation_error_not_a_crash():
    with pytest.raises(ValidationError):
        passwords.check_password_policy(None)
    with pytest.raises(ValidationError):
        passwords.check_password_policy(12345678901)


def test_hash_is_argon2id_and_verifies_only_the_right_password():
    hashed = passwords.hash_password("correct-horse-battery")
    assert hashed.startswith("$argon2id$")
    assert "correct-horse-battery" not in hashed
    assert passwords.verify_password(hashed, "correct-horse-battery")
    assert not passwords.verify_password(hashed, "wrong-horse-battery")
    assert not passwords.verify_password(None, "no account has this password")
    assert not passwords.verify_password("not a hash", "anything")


def test_login_rehashes_a_password_hashed_with_old_parameters(
    call, session, signup, monkeypatch, settings
):
    owner, _ = signup(email="rehash@acme.test")
    old_hash = session.get(User, owner.principal_id).password_hash
    monkeypatch.setattr(passwords, "hasher", PasswordHasher(time_cost=2, memory_cost=2048))
    assert passwords.needs_rehash(old_hash)

    call(
        logins.login,
        Context(None),
        "rehash@acme.test",
        "correct-horse-battery",
        settings=settings,
    ).result()

    new_hash = session.get(User, owner.principal_id).password_hash
    assert new_hash != old_hash
    assert not passwords.needs_rehash(new_hash)
    assert passwords.verify_password(new_hash, "correct-horse-battery")
