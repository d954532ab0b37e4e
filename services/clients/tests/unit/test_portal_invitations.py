"""Portal invitations (send, resend, cancel, expiry, accept) and requests from the portal."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from clients import client_requests, companies, contacts, invitations, portal_sync, request_inbox
from clients.models import Invitation
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PermissionDenied, ServiceUnavailable, ValidationError

ANONYMOUS = Context(agency_id=None)  # an invitation link's visitor, not signed in


@pytest.fixture
def ada(session, ctx, answers):
    companies.create_client(session, ctx, answers, name="Acme", account_manager_ids=["u-1", "u-2"])
    return contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.com")


def token_of(outbox, session, n=-1):
    return outbox(session, "contact_invited")[n]["invitation_token"]


def test_inviting_records_the_email_event_and_a_pending_invitation(
    session, ctx, identity, ada, outbox
):
    name = invitations.ask_agency_name(identity, ctx)
    invitation = invitations.invite_contact(
        session, ctx, ada["id"], "Welcome aboard!", agency_name=name
    )
    [event] = outbox(session, "contact_invited")
    assert event["email"] == "ada@acme.com" and event["client_name"] == "Acme"
    assert event["agency_name"] == "Acme Agency" and event["message"] == "Welcome aboard!"
    assert len(event["invitation_token"]) > 30 and event["expires_at"]
    assert invitation["status"] == "pending" and "token" not in str(invitation)
    [listed] = invitations.list_invitations(session, ctx)["items"]
    assert listed["contact_name"] == "Ada"
    found = invitations.get_invitation(session, ANONYMOUS, event["invitation_token"])
    assert (found["contact_name"], found["client_name"]) == ("Ada", "Acme")


def test_the_agency_name_is_left_out_of_the_email_when_identity_is_away(
    session, ctx, identity, ada, outbox
):
    identity.away = ServiceUnavailable("The identity service did not answer in time.")
    name = invitations.ask_agency_name(identity, ctx)
    invitation = invitations.invite_contact(session, ctx, ada["id"], agency_name=name)
    assert invitation["status"] == "pending"
    assert outbox(session, "contact_invited")[0]["agency_name"] is None


def test_creating_a_contact_with_invite_sends_it_in_the_same_call(session, ctx, answers, outbox):
    companies.create_client(session, ctx, answers, name="Acme")
    contact = contacts.create_contact(
        session, ctx, answers, "Bob", "bob@acme.com", invite=True, invitation_message="Hi"
    )
    assert contact["invitation"]["status"] == "pending" and contact["portal_status"] == "invited"
    assert outbox(session, "contact_invited")[0]["contact_id"] == contact["id"]


def test_resend_replaces_the_link_and_cancel_kills_it(session, ctx, ada, outbox):
    invitation = invitations.invite_contact(session, ctx, ada["id"])
    first = token_of(outbox, session)
    invitations.resend_invitation(session, ctx, invitation["id"])
    second = token_of(outbox, session)
    assert outbox(session, "contact_invited")[-1]["resent"] is True
    with pytest.raises(NotFound):
        invitations.get_invitation(session, ANONYMOUS, first)
    invitations.get_invitation(session, ANONYMOUS, second)
    invitations.cancel_invitation(session, ctx, invitation["id"])
    with pytest.raises(NotFound):
        invitations.get_invitation(session, ANONYMOUS, second)
    assert invitations.list_invitations(session, ctx)["items"] == []
    assert (
        invitations.list_invitations(session, ctx, "cancelled")["items"][0]["id"]
        == invitation["id"]
    )
    with pytest.raises(Conflict):
        invitations.resend_invitation(session, ctx, invitation["id"])


def test_expired_links_are_refused_and_listed_as_expired(session, ctx, identity, ada, outbox):
    invitation = invitations.invite_contact(session, ctx, ada["id"])
    session.execute(update(Invitation).values(expires_at=utcnow() - timedelta(minutes=1)))
    with pytest.raises(ValidationError) as raised:
        portal_sync.accept_invitation(
            session, ANONYMOUS, identity, token_of(outbox, session), "long-password"
        )
    assert raised.value.fields == {"token": "expired"}
    assert (
        invitations.list_invitations(session, ctx, "expired")["items"][0]["id"] == invitation["id"]
    )
    invitations.resend_invitation(session, ctx, invitation["id"])  # fresh 7 days
    invitations.get_invitation(session, ANONYMOUS, token_of(outbox, session))


def test_accepting_creates_the_portal_login_once(session, ctx, identity, ada, outbox):
    invitations.invite_contact(session, ctx, ada["id"])
    token = token_of(outbox, session)
    with pytest.raises(ValidationError):  # identity refuses the weak password; still pending
        portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "short")
    accepted = portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    assert accepted == {
        "contact_id": ada["id"],
        "client_id": ada["client_id"],
        "agency_id": ctx.agency_id,
        "email": "ada@acme.com",
        "principal": accepted["principal"],
        "session_token": f"session-{ada['id']}",  # identity's: the new login comes signed in
    }
    assert accepted["principal"]["contact_id"] == ada["id"]
    assert identity.portal_logins == [(ctx.agency_id, ada["id"], ada["client_id"], ada["email"])]
    with pytest.raises(NotFound):
        portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    assert contacts.get_contact(session, ctx, ada["id"])["portal_status"] == "active"
    with pytest.raises(Conflict):
        invitations.invite_contact(session, ctx, ada["id"])


def test_invitations_need_manage_client_organizations_and_stay_in_their_agency(
    session, make_ctx, ctx, ada
):
    # Portal access is managed with manage_client_organizations (AgencyPro's guide), not by
    # whoever may add clients.
    with pytest.raises(PermissionDenied):
        invitations.invite_contact(
            session,
            make_ctx(agency_id=ctx.agency_id, permissions={"view_clients", "create_clients"}),
            ada["id"],
        )
    with pytest.raises(NotFound):
        invitations.invite_contact(session, make_ctx(), ada["id"])


def portal(ctx, contact):
    return Context(
        agency_id=ctx.agency_id,
        principal_id="login-1",
        kind="contact",
        client_id=contact["client_id"],
        contact_id=contact["id"],
    )


def test_a_portal_request_reaches_the_team_with_its_account_managers(session, ctx, ada, outbox):
    me = portal(ctx, ada)
    request = client_requests.portal_create_request(
        session, me, "New landing page", "By June", "Web design"
    )
    [event] = outbox(session, "request_created")
    assert event["account_manager_ids"] == ["u-1", "u-2"]
    assert (event["client_name"], event["contact_name"], event["title"]) == (
        "Acme",
        "Ada",
        "New landing page",
    )
    assert request_inbox.portal_list_requests(session, me)["items"][0]["id"] == request["id"]
    team_view = request_inbox.list_requests(session, ctx, client_id=ada["client_id"])
    assert team_view["items"][0]["contact_name"] == "Ada"
    done = client_requests.set_request_status(session, ctx, request["id"], "in_progress")
    assert done["status"] == "in_progress"
    with pytest.raises(ValidationError):
        client_requests.set_request_status(session, ctx, request["id"], "lost")


def test_a_portal_contact_sees_only_its_own_client(session, ctx, answers, ada):
    globex = companies.create_client(session, ctx, answers, name="Globex")
    other = contacts.create_contact(session, ctx, answers, "Cy", "cy@globex.com", globex["id"])
    client_requests.portal_create_request(session, portal(ctx, other), "Globex secret")
    me = portal(ctx, ada)
    assert client_requests.portal_get_client(session, me)["name"] == ("Acme")
    assert request_inbox.portal_list_requests(session, me)["total"] == 0
    with pytest.raises(PermissionDenied):
        companies.get_client(session, me, globex["id"])
    with pytest.raises(NotFound):
        companies.get_logo(session, me, globex["id"])
    with pytest.raises(PermissionDenied):
        request_inbox.list_requests(session, me)
    with pytest.raises(PermissionDenied):  # team contexts cannot use portal methods
        request_inbox.portal_list_requests(session, ctx)
