"""Input that used to reach the database as a 500: huge page numbers, malformed web addresses,
a taken name or e-mail changed together with another field, NUL characters, and filters naming
another agency's client."""

import pytest

from clients import (
    companies,
    contacts,
    fields,
    invitations,
    request_inbox,
    search,
    vault,
)
from clients.imports import jobs, running
from kit import encryption
from kit.errors import Conflict, NotFound, ValidationError
from kit.paging import paging


@pytest.fixture
def acme(session, ctx, answers):
    return companies.create_client(session, ctx, answers, name="Acme")


# 4. Paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "page, per_page, expected",
    [
        (10**30, 25, (100_000, 25)),
        (0, 0, (1, 25)),  # 0 means "the default"
        (1, -3, (1, 1)),
        (-5, 10**30, (1, 100)),
        ("3", "7", (3, 7)),
    ],
)
def test_page_and_per_page_are_clamped(page, per_page, expected):
    assert paging(page, per_page) == expected


@pytest.mark.parametrize("page", ["x", float("inf"), "1e400"])
def test_a_page_that_is_not_a_number_is_a_validation_error(page):
    with pytest.raises(ValidationError):
        paging(page, 25)


def test_a_huge_page_number_is_an_empty_page_not_a_database_error(session, ctx, acme):
    huge = 10**18
    for listing in (
        lambda: search.list_clients(session, ctx, page=huge),
        lambda: search.list_contacts(session, ctx, page=huge),
        lambda: request_inbox.list_requests(session, ctx, page=huge),
        lambda: invitations.list_invitations(session, ctx, page=huge),
    ):
        result = listing()
        assert (result["items"], result["page"]) == ([], 100_000)


# 5. Malformed web addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "website", ["http://[", "https://[::1", "http://a]b.com", "http://x:99999999"]
)
def test_a_malformed_website_is_a_validation_error_on_the_field(session, ctx, answers, website):
    with pytest.raises(ValidationError) as raised:
        companies.create_client(session, ctx, answers, name="Acme", website=website)
    assert "website" in raised.value.fields


def test_a_malformed_vault_url_is_a_validation_error_on_url(session, ctx, acme, cipher_keys):
    cipher = encryption.make_cipher(",".join(cipher_keys))
    with pytest.raises(ValidationError) as raised:
        vault.create_entry(session, ctx, cipher, acme["id"], label="Admin", url="http://[")
    assert raised.value.fields == {"url": "Enter an address like https://example.com."}


def test_a_malformed_website_in_a_csv_is_an_error_on_its_line(session, ctx):
    text = "name,website\nAcme,acme.com\nGlobex,http://[\nInitech,initech.com\n"
    job = running.start_import(session, ctx, None, None, "clients", text, None)
    session.commit()
    job = jobs.import_dict(job)
    assert (job["status"], job["created"], job["error_count"]) == ("done", 2, 1)
    [error] = job["errors"]
    assert error["line"] == 3 and "website" in error["reason"]


# 6. A taken name or e-mail together with another field -------------------------------------


def test_a_taken_name_with_custom_fields_is_a_conflict_on_name(session, ctx, answers, acme):
    globex = companies.create_client(session, ctx, answers, name="Globex")
    with pytest.raises(Conflict) as raised:
        companies.update_client(
            session, ctx, answers, globex["id"], name="ACME", custom_fields={}, tags=["x"]
        )
    assert "name" in raised.value.fields


def test_a_taken_name_with_a_custom_field_value_is_a_conflict_on_name(session, ctx, answers, acme):
    field = fields.define_field(session, ctx, "Tier", "text")
    globex = companies.create_client(session, ctx, answers, name="Globex")
    with pytest.raises(Conflict) as raised:
        companies.update_client(
            session, ctx, answers, globex["id"], name="Acme", custom_fields={field["id"]: "Gold"}
        )
    assert "name" in raised.value.fields


def test_a_taken_email_with_a_move_is_a_conflict_on_email(session, ctx, answers, acme):
    globex = companies.create_client(session, ctx, answers, name="Globex")
    contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.com", acme["id"])
    bob = contacts.create_contact(session, ctx, answers, "Bob", "bob@acme.com", acme["id"])
    with pytest.raises(Conflict) as raised:
        contacts.update_contact(
            session, ctx, bob["id"], email="ADA@acme.com", client_id=globex["id"]
        )
    assert "email" in raised.value.fields


# 8. Filters naming another agency's client ---------------------------------------------------


def test_listing_by_another_agencys_client_is_not_found(session, ctx, make_ctx, answers, acme):
    theirs = companies.create_client(session, make_ctx(), answers, name="Theirs")
    for listing in (search.list_contacts, request_inbox.list_requests):
        with pytest.raises(NotFound):
            listing(session, ctx, client_id=theirs["id"])
        with pytest.raises(NotFound):
            listing(session, ctx, client_id="not-an-id")
        assert listing(session, ctx, client_id=acme["id"])["total"] == 0


def test_listing_invitations_of_another_agencys_contact_is_not_found(
    session, ctx, make_ctx, answers
):
    other = make_ctx()
    them = contacts.create_contact(session, other, answers, "Tom", "t@x.com", new_client="Xyz")
    with pytest.raises(NotFound):
        invitations.list_invitations(session, ctx, contact_id=them["id"])


# 10. NUL characters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "Ac\x00me"}, "name"),
        ({"name": "Acme", "description": "a\x00b"}, "description"),
        ({"name": "Acme", "tags": ["v\x00ip"]}, "tags"),
        ({"name": "Acme", "website": "acme\x00.com"}, "website"),
    ],
)
def test_a_nul_character_is_a_validation_error_on_the_field(session, ctx, answers, data, field):
    with pytest.raises(ValidationError) as raised:
        companies.create_client(session, ctx, answers, **data)
    assert field in raised.value.fields


def test_a_nul_character_in_a_search_or_filter_is_a_validation_error(session, ctx):
    for call in (
        lambda: search.list_clients(session, ctx, q="a\x00"),
        lambda: search.list_clients(session, ctx, tag="a\x00"),
        lambda: search.list_contacts(session, ctx, tag="a\x00"),
        lambda: search.list_contacts(session, ctx, account_manager_id="u\x00"),
    ):
        with pytest.raises(ValidationError):
            call()


def test_a_nul_character_in_a_contact_is_refused(session, ctx, answers, acme):
    with pytest.raises(ValidationError) as raised:
        contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.com", position="C\x00TO")
    assert "position" in raised.value.fields
