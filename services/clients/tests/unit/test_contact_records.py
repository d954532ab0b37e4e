"""Contacts: creation rules, the client chosen or created on the fly, edits and moves."""

import base64

import pytest

from clients import companies, contacts
from kit.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_create_contact_with_every_field(session, ctx, answers, outbox):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    companies.create_client(session, ctx, answers, name="Globex")
    contact = contacts.create_contact(
        session,
        ctx,
        answers,
        "Ada Lovelace",
        "Ada@Example.com",
        client_id=acme["id"],
        position="CTO",
        phone="+44 20 7946 0000",
        tags=["tech"],
        avatar_base64=base64.b64encode(PNG).decode(),
    )
    # the one e-mail rule (kit.validation): the domain is lower-cased, the local part kept
    assert contact["client_name"] == "Acme" and contact["email"] == "Ada@example.com"
    assert contact["has_avatar"] and contact["portal_status"] == "none"
    [event] = outbox(session, "contact_created")
    assert event["contact_id"] == contact["id"] and event["client_name"] == "Acme"
    assert contacts.get_avatar(session, ctx, contact["id"])["content_type"] == "image/png"


def test_emails_are_unique_in_the_agency_whatever_their_case(session, make_ctx, answers):
    ctx = make_ctx()
    contacts.create_contact(session, ctx, answers, "Ada", "ada@example.com", new_client="Acme")
    with pytest.raises(Conflict) as raised:
        contacts.create_contact(session, ctx, answers, "Ada 2", "ADA@example.com")
    assert "email" in raised.value.fields
    other = make_ctx()
    contacts.create_contact(session, other, answers, "Ada", "ada@example.com", new_client="X1")


@pytest.mark.parametrize("email", ["ada", "ada@", "ada@example", "a b@example.com", ""])
def test_invalid_emails_are_refused(session, ctx, answers, email):
    with pytest.raises(ValidationError) as raised:
        contacts.create_contact(session, ctx, answers, "Ada", email, new_client="Acme")
    assert "email" in raised.value.fields


def test_the_only_client_is_used_and_two_clients_need_a_choice(session, ctx, answers):
    only = companies.create_client(session, ctx, answers, name="Acme")
    contact = contacts.create_contact(session, ctx, answers, "Ada", "ada@example.com")
    assert contact["client_id"] == only["id"]
    companies.create_client(session, ctx, answers, name="Globex")
    with pytest.raises(ValidationError) as raised:
        contacts.create_contact(session, ctx, answers, "Bob", "bob@example.com")
    assert "client_id" in raised.value.fields


def test_a_client_is_created_on_the_fly_within_the_plan_limit(session, ctx, outbox):
    answers = companies.IdentityAnswers(client_limit=1)
    contact = contacts.create_contact(
        session, ctx, answers, "Ada", "ada@example.com", new_client={"name": "Fresh Co"}
    )
    assert contact["client_name"] == "Fresh Co"
    # the first contact becomes the billing contact: billing hears of it (client_updated)
    assert [e["event_type"] for e in outbox(session)] == [
        "client_created",
        "contact_created",
        "client_updated",
    ]
    with pytest.raises(LimitExceeded):
        contacts.create_contact(
            session, ctx, answers, "Bob", "bob@example.com", new_client="Second Co"
        )


def test_every_field_is_editable_and_a_contact_moves_to_another_client(
    session, ctx, answers, outbox
):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    globex = companies.create_client(session, ctx, answers, name="Globex")
    contact = contacts.create_contact(session, ctx, answers, "Ada", "ada@x.com", acme["id"])
    moved = contacts.update_contact(
        session,
        ctx,
        contact["id"],
        name="Ada L.",
        email="ada@y.com",
        position="CEO",
        phone="123 456",
        tags=["vip"],
        client_id=globex["id"],
    )
    assert (moved["client_name"], moved["email"], moved["position"]) == (
        "Globex",
        "ada@y.com",
        "CEO",
    )
    [event] = outbox(session, "contact_updated")
    assert event["previous_client_id"] == acme["id"] and "client_id" in event["changed"]
    with pytest.raises(ValidationError):
        contacts.update_contact(session, ctx, contact["id"], agency_id="x")


def test_contacts_of_another_agency_are_not_found(session, make_ctx, answers):
    mine = make_ctx()
    contact = contacts.create_contact(session, mine, answers, "Ada", "ada@x.com", new_client="Ac")
    other = make_ctx()
    with pytest.raises(NotFound):
        contacts.get_contact(session, other, contact["id"])
    with pytest.raises(NotFound):
        contacts.update_contact(session, other, contact["id"], name="Eve")
    acme_other = companies.create_client(session, other, answers, name="Other")
    with pytest.raises(NotFound):  # nor can a contact be moved into another agency's client
        contacts.update_contact(session, mine, contact["id"], client_id=acme_other["id"])


def test_portal_and_unprivileged_callers_cannot_create_contacts(session, make_ctx, answers):
    with pytest.raises(PermissionDenied):
        contacts.create_contact(
            session, make_ctx(permissions={"view_clients"}), answers, "Ada", "a@x.com"
        )
