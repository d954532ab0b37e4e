"""Password hashing (argon2id) and the password policy (ASVS V2.1: length, common passwords)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool

from kit.errors import ValidationError

MIN_LENGTH = 10
MAX_LENGTH = 128  # argon2 takes any length; a cap keeps one request from costing too much

# argon2-cffi's defaults are argon2id with RFC 9106's low-memory profile. A hash made with
# other parameters is re-made at the next successful login (`needs_rehash`).
hasher = PasswordHasher()

# Passwords of at least MIN_LENGTH characters from the top of public breach lists, lowercased.
COMMON_PASSWORDS = frozenset(
    """
    1234567890 0123456789 0987654321 1111111111 1234512345 1234554321 12345678910
    123456789a 123456789q 1q2w3e4r5t 1q2w3e4r5t6y 1qaz2wsx3edc 1qazxsw23edc 2wsx3edc4rfv
    a123456789 abc1234567 abcd123456 abcdefghij asdfghjkl1 asdfghjkl; azertyuiop
    qazwsxedcrfv qwerty1234 qwerty12345 qwerty123456 qwertyuiop qwertyuiop1 qwertyuiop123
    zxcvbnm123 zaq12wsxcde password12 password123 password1234 password12345 passw0rd123
    p@ssw0rd123 p@ssword123 passwordpassword password01 password!! letmein123 letmein1234
    welcome123 welcome1234 welcome2024 welcome2025 iloveyou12 iloveyou123 iloveyou1234
    football123 baseball123 basketball sunshine123 princess123 superman123 batman1234
    starwars123 dragon1234 monkey1234 shadow1234 master1234 michael123 trustno1234
    administrator admin12345 admin123456 adminadmin changeme123 changeme12 secret1234
    computer123 internet123 whatever123 qwerasdfzxcv 1234qwerasdf 11111111111 123123123123
    999999999999 987654321 0000000000 1212121212 1231231231 5555555555 7777777777
    9876543210 abcabcabc1 aaaaaaaaaa summer2024 summer2025 winter2024 winter2025
    spring2025 autumn2025 company123 agency1234 marketing1 marketing123 login12345
    letmeinplease helloworld helloworld1 hello12345 mypassword mypassword1 newpassword
    newpassword1 thisismypassword correcthorsebatterystaple
    """.split()  # noqa: SIM905 -- a word list reads best as words
)


def hash_password(password: str) -> str:
    # argon2 is CPU-bound C code: run it in eventlet's thread pool so other workers go on.
    return tpool.execute(hasher.hash, password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when `password` matches; a missing hash still costs one verification, so that a
    wrong e-mail takes as long to refuse as a wrong password."""
    if not isinstance(password, str):
        return False
    try:
        matched = tpool.execute(hasher.verify, password_hash or _dummy_hash(), password)
        return matched and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


_dummy = {}


def _dummy_hash() -> str:
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
    if key not in _dummy:
        _dummy[key] = hasher.hash("no account has this password")
    return _dummy[key]


def password_problem(password, email: str | None = None) -> str | None:
    """What is wrong with `password` as a new password, in words for its owner; None if fine."""
    if not isinstance(password, str) or not password:
        return "Enter a password."
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    lowered = password.lower()
    if len(set(lowered)) == 1:
        return "Do not repeat a single character."
    if lowered in COMMON_PASSWORDS:
        return "This password is too common; choose one that is harder to guess."
    if email:
        email = email.strip().lower()
        if lowered in (email, email.split("@")[0]):
            return "Do not use your e-mail address as your password."
    return None


def check_password_policy(password, email: str | None = None, field: str = "password") -> str:
    """The password if it may be used; otherwise ValidationError on `field`."""
    problem = password_problem(password, email)
    if problem:
        raise ValidationError(f"The password is too weak: {problem}", {field: problem})
    return password
