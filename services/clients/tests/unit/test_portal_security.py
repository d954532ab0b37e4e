"""The portal's defences: a portal session reaches only the client its contact still belongs
to, an invitation is accepted only at the address it was sent to, an e-mail that has a portal
login elsewhere is refused without saying where, and invitation e-mails are limited per agency."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from clients import client_requests, companies, contacts, invitations, portal_sync, request_inbox
from clients.models import InvitationSend
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PermissionDenied, RateLimited

ANONYMOUS = Context(agency_id=None)  # an invitation link's visitor, not signed in

ACCESS_CHANGED = "Your portal access has changed; please sign in again."


@pytest.fixture
def acme(session, ctx, answers):
    return companies.create_client(session, ctx, answers, name="Acme")


@pytest.fixture
def ada(session, ctx, answers, acme):
    return contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.com", acme["id"])


def token_of(outbox, session) -> str:
    return outbox(session, "contact_invited")[-1]["invitation_token"]


def portal(ctx, client_id, contact_id):
    return Context(
        agency_id=ctx.agency_id,
        principal_id="login-1",
        kind="contact",
        client_id=client_id,
        contact_id=contact_id,
    )


# 1. A portal session whose contact moved, was archived or is unknown reaches nothing ------------


def test_a_portal_session_of_a_contact_moved_to_another_client_reaches_neither(
    session, ctx, answers, acme, ada
):
    globex = companies.create_client(session, ctx, answers, name="Globex")
    stale = portal(ctx, acme["id"], ada["id"])  # signed in while Ada was at Acme
    assert client_requests.portal_get_client(session, stale)["name"] == "Acme"
    contacts.update_contact(session, ctx, ada["id"], client_id=globex["id"])
    for call in (
        lambda: client_requests.portal_get_client(session, stale),
        lambda: request_inbox.portal_list_requests(session, stale),
        lambda: client_requests.portal_create_request(session, stale, "Old client's secrets"),
        lambda: client_requests.portal_get_logo(session, stale),
        lambda: companies.get_logo(session, stale, acme["id"]),
        lambda: contacts.get_avatar(session, stale, ada["id"]),
    ):
        with pytest.raises(PermissionDenied) as raised:
            call()
        assert raised.value.message == ACCESS_CHANGED


def test_a_portal_session_of_an_archived_contact_is_refused(session, ctx, acme, ada):
    me = portal(ctx, acme["id"], ada["id"])
    contacts.archive_contact(session, ctx, ada["id"])
    with pytest.raises(PermissionDenied) as raised:
        request_inbox.portal_list_requests(session, me)
    assert raised.value.message == ACCESS_CHANGED


@pytest.mark.parametrize("contact_id", [None, "not-a-uuid", "00000000-0000-0000-0000-000000000001"])
def test_a_portal_session_without_a_known_contact_is_refused(session, ctx, acme, ada, contact_id):
    with pytest.raises(PermissionDenied) as raised:
        client_requests.portal_get_client(session, portal(ctx, acme["id"], contact_id))
    assert raised.value.message == ACCESS_CHANGED


def test_a_portal_session_naming_another_agencys_contact_is_refused(
    session, ctx, make_ctx, answers, acme, ada
):
    other = make_ctx()
    theirs = companies.create_client(session, other, answers, name="Theirs")
    them = contacts.create_contact(session, other, answers, "Tom", "tom@theirs.com", theirs["id"])
    with pytest.raises(PermissionDenied):
        client_requests.portal_get_client(session, portal(ctx, acme["id"], them["id"]))


# 2. An invitation is accepted only at the address it was sent to --------------------------------


def test_changing_a_contacts_email_cancels_its_pending_invitation(
    session, ctx, identity, ada, outbox
):
    invitation = invitations.invite_contact(session, ctx, ada["id"])
    token = token_of(outbox, session)
    changed = contacts.update_contact(session, ctx, ada["id"], email="victim@corp.com")
    assert changed["portal_status"] == "none"
    with pytest.raises(NotFound):
        portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    assert identity.portal_logins == []
    [listed] = invitations.list_invitations(session, ctx, status=None)["items"]
    assert (listed["id"], listed["status"]) == (invitation["id"], "cancelled")


def test_an_invitation_for_another_address_than_the_contacts_is_not_accepted(
    session, ctx, identity, ada, outbox
):
    """Even should a pending invitation survive an e-mail change (a row written before
    invitations kept their address), it is accepted only at the address it went to."""
    invitations.invite_contact(session, ctx, ada["id"])
    token = token_of(outbox, session)
    session.execute(
        update(contacts.Contact)
        .where(contacts.Contact.id == ada["id"])
        .values(email="victim@corp.com")
    )
    session.expire_all()
    with pytest.raises(NotFound):
        invitations.get_invitation(session, ANONYMOUS, token)
    with pytest.raises(NotFound):
        portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    assert identity.portal_logins == []


def test_an_invitation_remembers_the_address_it_was_sent_to(session, ctx, ada, outbox):
    invitation = invitations.invite_contact(session, ctx, ada["id"])
    assert invitation["email"] == "ada@acme.com"
    assert (
        invitations.get_invitation(session, ANONYMOUS, token_of(outbox, session))["email"]
        == "ada@acme.com"
    )


def test_an_email_with_a_portal_login_elsewhere_is_refused_without_saying_where(
    session, ctx, answers, make_ctx, identity, ada, outbox
):
    # another agency's contact at the same address accepted first
    other = make_ctx()
    theirs = companies.create_client(session, other, answers, name="Theirs")
    them = contacts.create_contact(session, other, answers, "Ada", "ada@acme.com", theirs["id"])
    invitations.invite_contact(session, other, them["id"])
    portal_sync.accept_invitation(
        session, ANONYMOUS, identity, token_of(outbox, session), "long-password"
    )
    invitations.invite_contact(session, ctx, ada["id"])
    with pytest.raises(Conflict) as raised:
        portal_sync.accept_invitation(
            session, ANONYMOUS, identity, token_of(outbox, session), "long-password"
        )
    assert "elsewhere" not in raised.value.message and "already" not in raised.value.message
    assert "cannot be given portal access" in raised.value.message
    assert "email" in raised.value.fields


def test_a_new_email_taken_by_a_portal_login_is_refused_without_saying_where(
    session, ctx, identity, ada, outbox
):
    invitations.invite_contact(session, ctx, ada["id"])
    portal_sync.accept_invitation(
        session, ANONYMOUS, identity, token_of(outbox, session), "long-password"
    )
    identity.refuse = Conflict("bob@x.com already has a portal login.", {"email": "taken"})
    with pytest.raises(Conflict) as raised:
        portal_sync.check_new_email(session, ctx, identity, ada["id"], "bob@x.com")
    assert raised.value.message == (
        "This e-mail address cannot be given portal access; ask the contact for another address."
    )
    assert "email" in raised.value.fields


# 3. Accepting signs the contact in ----------------------------------------------------------------


def test_accepting_an_invitation_returns_the_new_logins_session(
    session, ctx, identity, ada, outbox
):
    invitations.invite_contact(session, ctx, ada["id"])
    accepted = portal_sync.accept_invitation(
        session, ANONYMOUS, identity, token_of(outbox, session), "long-password"
    )
    assert accepted["session_token"] == f"session-{ada['id']}"
    assert accepted["principal"]["contact_id"] == ada["id"]
    assert accepted["principal"]["client_id"] == ada["client_id"]


# 7. Invitation e-mails are limited per agency --------------------------------------------------


def test_invitations_and_resends_past_the_hourly_limit_are_rate_limited(
    session, ctx, make_ctx, answers, acme, ada, outbox
):
    bob = contacts.create_contact(session, ctx, answers, "Bob", "bob@acme.com", acme["id"])
    first = invitations.invite_contact(session, ctx, ada["id"], per_hour=3)
    invitations.resend_invitation(session, ctx, first["id"], per_hour=3)
    invitations.invite_contact(session, ctx, bob["id"], per_hour=3)
    sent = len(outbox(session, "contact_invited"))
    with pytest.raises(RateLimited) as raised:
        invitations.resend_invitation(session, ctx, first["id"], per_hour=3)
    assert "3 invitations in the last hour" in raised.value.message
    assert 0 < raised.value.fields["retry_after"] <= 3600
    with pytest.raises(RateLimited):
        invitations.invite_contact(session, ctx, bob["id"], per_hour=3)
    with pytest.raises(RateLimited):
        contacts.create_contact(
            session,
            ctx,
            answers,
            "Cy",
            "cy@acme.com",
            acme["id"],
            invite=True,
            per_hour=3,
        )
    assert len(outbox(session, "contact_invited")) == sent  # no e-mail past the limit
    # another agency has its own allowance
    other = make_ctx()
    contacts.create_contact(
        session,
        other,
        answers,
        "Dee",
        "dee@x.com",
        new_client="Xyz",
        invite=True,
        per_hour=3,
    )


def test_the_invitation_limit_counts_only_the_last_hour(session, ctx, ada):
    invitations.invite_contact(session, ctx, ada["id"], per_hour=1)
    with pytest.raises(RateLimited):
        invitations.invite_contact(session, ctx, ada["id"], per_hour=1)
    session.execute(update(InvitationSend).values(sent_at=utcnow() - timedelta(minutes=61)))
    invitations.invite_contact(session, ctx, ada["id"], per_hour=1)
