"""Portal invitations next to the real identity service: the invitation commits with its
contact and its e-mail's event, and identity (asked for the agency's name) is never waited for
inside a clients transaction (docs/contracts.md, "Calls to other systems")."""

import time

import eventlet
import pytest


def test_a_contact_created_with_an_invitation_is_invited_in_the_agency_name(
    clients, signup, events
):
    owner, _ = signup("Acme Agency")
    acme = clients.create_client(owner, name="Acme")
    ada = clients.create_contact(owner, "Ada", "ada@acme.com", client_id=acme["id"], invite=True)
    assert ada["portal_status"] == "invited" and ada["invitation"]["status"] == "pending"
    # published by the outbox relay, so only once the contact and its invitation committed
    invited = events.wait_for("contact_invited")
    assert (invited["contact_id"], invited["agency_name"]) == (ada["id"], "Acme Agency")
    assert clients.get_contact(owner, ada["id"])["portal_status"] == "invited"
    [pending] = clients.list_invitations(owner)["items"]
    assert pending["id"] == ada["invitation"]["id"]
    token = invited["invitation_token"]
    assert clients.get_invitation({"agency_id": None}, token)["contact_name"] == "Ada"


@pytest.mark.parametrize("clients_settings", [{"RPC_TIMEOUT": 2}])
def test_identity_not_answering_delays_the_invitation_but_holds_no_transaction(
    clients, signup, events, system, long_transactions_during
):
    owner, _ = signup("Acme Agency")
    acme = clients.create_client(owner, name="Acme")
    system[3].stop()  # identity away: its queue stays, nobody answers it
    started = time.monotonic()
    call = eventlet.spawn(
        clients.create_contact, owner, "Ada", "ada@acme.com", client_id=acme["id"], invite=True
    )
    long_transactions = long_transactions_during([call])
    ada = call.wait()
    assert time.monotonic() - started >= 2  # the agency's name was waited for, RPC_TIMEOUT long
    assert long_transactions == 0
    # The name is only nice to have: the contact and its invitation are there, and the e-mail's
    # event goes out without it (the e-mail then says "Your agency").
    assert ada["portal_status"] == "invited" and ada["invitation"]["status"] == "pending"
    invited = events.wait_for("contact_invited")
    assert (invited["contact_id"], invited["agency_name"]) == (ada["id"], None)
    assert clients.get_contact(owner, ada["id"])["name"] == "Ada"
