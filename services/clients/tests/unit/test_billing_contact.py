"""A client's billing contact: chosen by the agency, else its first live contact; billing hears
of every change through `client_updated` (`billing_contact`, `billing_email`)."""

import pytest

from clients import companies, contacts
from kit.errors import ValidationError


def billing_events(outbox, session, client_id):
    return [
        e
        for e in outbox(session, "client_updated")
        if e["client_id"] == client_id and "billing_contact" in e["changed"]
    ]


def test_first_contact_is_the_billing_contact_until_one_is_chosen(session, ctx, answers, outbox):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    assert acme["billing_contact"] is None
    ada = contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.test", acme["id"])
    bob = contacts.create_contact(session, ctx, answers, "Bob", "bob@acme.test", acme["id"])
    client = companies.get_client(session, ctx, acme["id"])
    assert client["billing_contact"] == {
        "id": ada["id"],
        "name": "Ada",
        "email": "ada@acme.test",
        "chosen": False,
    }
    [first] = billing_events(outbox, session, acme["id"])  # Bob changed nothing for billing
    assert first["billing_email"] == "ada@acme.test"

    chosen = companies.set_billing_contact(session, ctx, acme["id"], bob["id"])
    assert chosen["billing_contact"]["id"] == bob["id"] and chosen["billing_contact"]["chosen"]
    last = billing_events(outbox, session, acme["id"])[-1]
    assert last["billing_contact"]["name"] == "Bob" and last["billing_email"] == "bob@acme.test"

    contacts.update_contact(session, ctx, bob["id"], email="billing@acme.test")
    assert billing_events(outbox, session, acme["id"])[-1]["billing_email"] == "billing@acme.test"

    contacts.archive_contact(session, ctx, bob["id"])  # the chosen one gone: back to the first
    last = billing_events(outbox, session, acme["id"])[-1]
    assert last["billing_email"] == "ada@acme.test"
    back = companies.set_billing_contact(session, ctx, acme["id"], None)
    assert back["billing_contact"]["id"] == ada["id"]


def test_a_contact_moved_away_stops_being_the_billing_contact(session, ctx, answers, outbox):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    globex = companies.create_client(session, ctx, answers, name="Globex")
    ada = contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.test", acme["id"])
    contacts.update_contact(session, ctx, ada["id"], client_id=globex["id"])
    assert billing_events(outbox, session, acme["id"])[-1]["billing_contact"] is None
    assert billing_events(outbox, session, globex["id"])[-1]["billing_email"] == "ada@acme.test"
    listed = {c["id"]: c for c in companies_list(session, ctx)}
    assert listed[globex["id"]]["billing_contact"]["id"] == ada["id"]
    assert listed[acme["id"]]["billing_contact"] is None


def companies_list(session, ctx):
    from clients import search

    return search.list_clients(session, ctx)["items"]


def test_billing_contact_must_be_a_live_contact_of_the_client(session, ctx, answers, outbox):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    globex = companies.create_client(session, ctx, answers, name="Globex")
    other = contacts.create_contact(session, ctx, answers, "Gil", "gil@globex.test", globex["id"])
    before = len(outbox(session))
    for wrong in (other["id"], "not-an-id", "00000000-0000-0000-0000-000000000000"):
        with pytest.raises(ValidationError) as raised:
            companies.set_billing_contact(session, ctx, acme["id"], wrong)
        assert "billing_contact_id" in raised.value.fields
    assert len(outbox(session)) == before


def test_an_overdue_client_is_set_inactive_once(session, ctx, answers, outbox):
    acme = companies.create_client(session, ctx, answers, name="Acme")
    payload = {"agency_id": ctx.agency_id, "client_id": acme["id"], "request_id": "r"}
    companies.set_inactive_for_overdue(session, payload)
    assert companies.get_client(session, ctx, acme["id"])["status"] == "inactive"
    [changed] = outbox(session, "client_status_changed")
    assert changed["status"] == "inactive"
    companies.set_inactive_for_overdue(session, payload)  # already inactive: nothing new
    assert len(outbox(session, "client_status_changed")) == 1
    other_agency = {**payload, "agency_id": "00000000-0000-0000-0000-000000000001"}
    companies.set_inactive_for_overdue(session, other_agency)  # not its client: nothing
