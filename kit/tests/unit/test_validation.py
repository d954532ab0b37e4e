import pytest

from kit.errors import ValidationError
from kit.validation import (
    ENTER_EMAIL,
    ENTER_NAME,
    INVALID_EMAIL,
    MAX_EMAIL,
    FieldErrors,
    InvalidValue,
    clean_email,
    clean_name,
    is_email,
    normalise_email,
    too_long,
)


def test_an_address_is_trimmed_and_its_domain_lower_cased_but_not_its_local_part():
    assert normalise_email("  Alice.Smith@ACME.Test ") == "Alice.Smith@acme.test"


def test_international_addresses_are_accepted_in_one_unicode_form():
    assert normalise_email("jörg@Bücher.de") == "jörg@bücher.de"


@pytest.mark.parametrize(
    "text",
    [
        "alice",
        "alice@",
        "@acme.test",
        "alice@@acme.test",
        "alice smith@acme.test",
        "alice,bob@acme.test",
        "Bob <bob@acme.test>",
        '"bob"@acme.test',
        "alice@localhost",
        "alice@acme.test.",
        "alice..b@acme.test",
        "alice@123.45",
    ],
)
def test_what_is_not_an_address_is_refused_with_one_message(text):
    with pytest.raises(InvalidValue) as raised:
        normalise_email(text)
    assert raised.value.message == INVALID_EMAIL
    assert not is_email(text)


@pytest.mark.parametrize("value", [None, "", "   ", 42])
def test_a_missing_address_asks_for_one(value):
    with pytest.raises(InvalidValue) as raised:
        normalise_email(value)
    assert raised.value.message == ENTER_EMAIL


def test_an_address_over_the_mail_limit_is_too_long():
    text = "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "test"
    assert len(text) > MAX_EMAIL
    with pytest.raises(InvalidValue) as raised:
        normalise_email(text)
    assert raised.value.message == too_long(MAX_EMAIL)


def test_a_service_gets_the_message_on_the_named_field():
    with pytest.raises(ValidationError) as raised:
        clean_email("nope", "contact_email")
    assert raised.value.fields == {"contact_email": INVALID_EMAIL}
    assert clean_email(" b@B.test ") == "b@b.test"


def test_a_name_is_collapsed_required_and_limited():
    assert clean_name("  Ada \n Lovelace ") == "Ada Lovelace"
    with pytest.raises(ValidationError) as raised:
        clean_name("  ", "full_name")
    assert raised.value.fields == {"full_name": ENTER_NAME}
    with pytest.raises(ValidationError) as raised:
        clean_name("x" * 11, max_length=10)
    assert raised.value.fields == {"name": "This is too long (at most 10 characters)."}


def test_field_errors_gathers_every_failure_into_one_error():
    errors = FieldErrors()
    assert errors.check(clean_name, "Ada") == "Ada"
    assert errors.check(clean_name, "", "name") is None
    assert errors.check(clean_email, "x", "email") is None
    with pytest.raises(ValidationError) as raised:
        errors.raise_if_any()
    assert raised.value.fields == {"name": ENTER_NAME, "email": INVALID_EMAIL}


def test_no_failure_raises_nothing():
    FieldErrors().raise_if_any()


def test_the_summary_names_the_bad_address_for_reports():
    with pytest.raises(ValidationError) as raised:
        clean_email("not-an-email")
    assert raised.value.message == "'not-an-email' is not a valid e-mail address."
    with pytest.raises(ValidationError) as raised:
        clean_email("")
    assert raised.value.message == "An e-mail address is required."


# The domain check runs once per distinct domain (a cache beside the library's own steps): the
# rule must stay the library's, whatever the address.
def _library_rule(text):
    """What `email_validator.validate_email` alone says (after normalise_email's own trimming and
    length limit): the stored form, or INVALID_EMAIL."""
    from email_validator import EmailNotValidError, validate_email

    text = text.strip()
    if len(text) > MAX_EMAIL:
        return too_long(MAX_EMAIL)
    try:
        return validate_email(text, check_deliverability=False, test_environment=True).normalized
    except EmailNotValidError:
        return INVALID_EMAIL


def _our_rule(text):
    try:
        return normalise_email(text)
    except InvalidValue as exc:
        return exc.message


EDGE_CASES = [
    "alice@acme.test",
    "Alice.Smith@ACME.Test",
    "Postmaster@Acme.Test",  # a case-insensitive mailbox name: lower-cased by the library
    "ABUSE@acme.test",
    "a+tag@sub.acme.test",
    "o'brien@acme.test",
    "x@xn--bcher-kva.de",  # IDNA ASCII form: shown as bücher.de
    "jörg@bücher.de",
    "a@b",
    "a@b.c",
    "a@-acme.test",
    "a@acme-.test",
    "a@acme..test",
    "a@acme.test.",
    "a@.acme.test",
    "a@acme_x.test",
    "a@localhost",
    "a@example.invalid",
    "a@acme.local",
    "a@123.45",
    "a@[127.0.0.1]",
    ".a@acme.test",
    "a.@acme.test",
    "a..b@acme.test",
    "a@b@acme.test",
    "@acme.test",
    "a@",
    "a b@acme.test",
    "a\tb@acme.test",
    "a\x00@acme.test",
    '"a b"@acme.test',
    "a\\b@acme.test",
    "Bob <bob@acme.test>",
    "a" * 64 + "@acme.test",
    "a" * 65 + "@acme.test",
    "a@" + "b" * 63 + ".test",
    "a@" + "b" * 64 + ".test",
    "a" * 64 + "@" + ("b" * 60 + ".") * 3 + "test",
    "a@acme.com",
    "a@ACME.COM",
    "a@acme.co.uk",
    "a@1acme.test",
    "a@acme.123",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_the_email_rule_is_exactly_the_librarys_for_valid_and_invalid_addresses(text):
    assert _our_rule(text) == _library_rule(text)
    assert _our_rule(text) == _library_rule(text)  # the second time from the domain cache


def test_the_email_rule_is_the_librarys_on_random_addresses():
    import random

    rng = random.Random(12)
    plain = [
        "a",
        "B",
        "z",
        "0",
        "9",
        ".",
        "..",
        "-",
        "_",
        "+",
        "@",
        "@",
        "@",
        "'",
        "com",
        "test",
        "xn--",
        "POSTMASTER",
        ",",
        " ",
        "\t",
        "a" * 30,
        "b" * 63,
    ]
    unusual = ['"', "<", ">", "[", "]", "\\", "ü", "é", "\uff20"]
    for alphabet in (plain, plain + unusual):
        for _ in range(5000):
            text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12)))
            if text.strip():
                assert _our_rule(text) == _library_rule(text), text
