"""A contact's portal login follows its name and e-mail, archiving (a contact or its client)
closes its portal access, contacts are archived and restored, the team logs requests, and an
invitation is cancelled by contact and listed a page at a time."""

import pytest
from sqlalchemy import select

from clients import client_requests, companies, contacts, invitations, portal_sync, search
from clients.models import PortalSync
from kit.context import Context
from kit.db import utcnow
from kit.errors import Conflict, NotFound, PermissionDenied, ServiceUnavailable, ValidationError

ANONYMOUS = Context(agency_id=None)  # an invitation link's visitor, not signed in


@pytest.fixture
def acme(session, ctx, answers):
    return companies.create_client(
        session, ctx, answers, name="Acme", account_manager_ids=["u-1", "u-2"]
    )


@pytest.fixture
def ada(session, ctx, answers, acme):
    return contacts.create_contact(session, ctx, answers, "Ada", "ada@acme.com", acme["id"])


@pytest.fixture
def portal_ada(session, ctx, identity, ada, outbox):
    """Ada, with a portal login (she accepted her invitation)."""
    invitations.invite_contact(session, ctx, ada["id"])
    token = outbox(session, "contact_invited")[-1]["invitation_token"]
    portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    identity.calls.clear()
    return ada


def push(session, ctx, identity) -> int:
    """What an entrypoint does after its write commits: bring identity in line."""
    session.commit()
    return portal_sync.push_due(session, ctx, identity)


def due(session) -> list[PortalSync]:
    session.commit()
    return session.scalars(select(PortalSync)).all()


def test_a_new_name_or_email_reaches_the_portal_login(session, ctx, identity, portal_ada):
    acme = portal_ada["client_id"]
    contacts.update_contact(session, ctx, portal_ada["id"], name="Ada L.", phone="123")
    assert push(session, ctx, identity) == 1
    contacts.update_contact(session, ctx, portal_ada["id"], email="ada@new.com")
    push(session, ctx, identity)
    contacts.update_contact(session, ctx, portal_ada["id"], position="CTO")
    assert push(session, ctx, identity) == 0
    assert identity.calls == [
        ("update_portal_login", portal_ada["id"], "ada@acme.com", "Ada L.", acme),
        ("update_portal_login", portal_ada["id"], "ada@new.com", "Ada L.", acme),
    ]
    assert due(session) == []


def test_a_contact_without_a_portal_login_asks_identity_nothing(session, ctx, identity, ada):
    portal_sync.check_new_email(session, ctx, identity, ada["id"], "a@b.com")
    contacts.update_contact(session, ctx, ada["id"], name="Ada L.", email="a@b.com")
    assert push(session, ctx, identity) == 0
    assert identity.calls == []


def test_identity_refusing_the_email_is_heard_before_anything_changes(
    session, ctx, identity, portal_ada
):
    session.commit()
    identity.refuse = Conflict("ada@taken.com already has a portal login.", {"email": "taken"})
    with pytest.raises(Conflict) as raised:
        portal_sync.check_new_email(session, ctx, identity, portal_ada["id"], "ada@taken.com")
    assert "email" in raised.value.fields
    assert contacts.get_contact(session, ctx, portal_ada["id"])["email"] == "ada@acme.com"
    assert due(session) == []


def test_a_push_identity_cannot_take_stays_due_until_the_reconciler_brings_it_in_line(
    session, ctx, identity, portal_ada
):
    identity.refuse = ServiceUnavailable("identity did not answer", {"service": "identity"})
    contacts.update_contact(session, ctx, portal_ada["id"], name="Ada L.")
    assert push(session, ctx, identity) == 0
    [row] = due(session)
    assert (row.attempts, row.last_error) == (1, "ServiceUnavailable: identity did not answer")
    assert portal_sync.reconcile(session, identity) == 0, "it waits for its back-off"
    identity.refuse = None
    row.due_at = utcnow()
    assert portal_sync.reconcile(session, identity) == 1
    assert identity.calls == [
        ("update_portal_login", portal_ada["id"], "ada@acme.com", "Ada L.", portal_ada["client_id"])
    ]
    assert due(session) == []


def test_a_push_that_raced_a_newer_change_sends_the_newer_state(session, ctx, identity, portal_ada):
    slow = identity.update_portal_login

    def meanwhile(*args, **kwargs):
        if len(identity.calls) == 0:  # another request renames Ada while we call identity
            contacts.update_contact(session, ctx, portal_ada["id"], name="Ada Newer")
            session.commit()
        return slow(*args, **kwargs)

    identity.update_portal_login = meanwhile
    contacts.update_contact(session, ctx, portal_ada["id"], name="Ada L.")
    assert push(session, ctx, identity) == 1
    assert [call[3] for call in identity.calls] == ["Ada L.", "Ada Newer"]
    assert due(session) == []


def test_archiving_a_client_closes_its_contacts_portal_access(
    session, ctx, answers, identity, acme, portal_ada
):
    bob = contacts.create_contact(session, ctx, answers, "Bob", "bob@acme.com", acme["id"])
    invitations.invite_contact(session, ctx, bob["id"])
    companies.archive_client(session, ctx, acme["id"])
    push(session, ctx, identity)
    assert identity.calls == [("disable_portal_login", portal_ada["id"])]
    statuses = {
        c["name"]: c["portal_status"]
        for c in search.list_contacts(session, ctx, status="archived")["items"]
    }
    assert statuses == {"Ada": "none", "Bob": "none"}
    assert invitations.list_invitations(session, ctx)["total"] == 0


def test_restoring_a_client_offers_to_reinvite_only_those_whose_access_ended(
    session, ctx, answers, acme, portal_ada, outbox
):
    bob = contacts.create_contact(session, ctx, answers, "Bob", "bob@acme.com", acme["id"])
    invitations.invite_contact(session, ctx, bob["id"])
    contacts.create_contact(session, ctx, answers, "Cy", "cy@acme.com", acme["id"])
    companies.archive_client(session, ctx, acme["id"])
    companies.restore_client(session, ctx, None, acme["id"])
    ended = {c["name"]: c["portal_ended"] for c in search.list_contacts(session, ctx)["items"]}
    assert ended == {"Ada": True, "Bob": True, "Cy": False}

    sent = invitations.reinvite_client_contacts(session, ctx, acme["id"])
    assert sorted(i["email"] for i in sent) == ["ada@acme.com", "bob@acme.com"]
    assert {e["email"] for e in outbox(session, "contact_invited")[-2:]} == {
        "ada@acme.com",
        "bob@acme.com",
    }
    after = {
        c["name"]: (c["portal_status"], c["portal_ended"])
        for c in search.list_contacts(session, ctx)["items"]
    }
    assert after == {"Ada": ("invited", False), "Bob": ("invited", False), "Cy": ("none", False)}
    assert invitations.reinvite_client_contacts(session, ctx, acme["id"]) == []


def test_an_archived_contact_leaves_lists_and_the_portal_and_comes_back(
    session, ctx, identity, acme, portal_ada, outbox
):
    archived = contacts.archive_contact(session, ctx, portal_ada["id"])
    assert archived["archived"] and archived["portal_status"] == "none"
    push(session, ctx, identity)
    assert identity.calls == [("disable_portal_login", portal_ada["id"])]
    assert contacts.archive_contact(session, ctx, portal_ada["id"])["archived"]
    assert len(outbox(session, "contact_archived")) == 1  # idempotent
    assert search.list_contacts(session, ctx)["total"] == 0
    assert search.list_contacts(session, ctx, status="archived")["total"] == 1
    assert companies.get_client(session, ctx, acme["id"])["contact_count"] == 0
    assert contacts.get_contact(session, ctx, portal_ada["id"])["name"] == "Ada"  # history kept
    with pytest.raises(Conflict):
        contacts.update_contact(session, ctx, portal_ada["id"], name="Eve")
    with pytest.raises(Conflict):
        invitations.invite_contact(session, ctx, portal_ada["id"])

    restored = contacts.restore_contact(session, ctx, portal_ada["id"])
    assert not restored["archived"] and search.list_contacts(session, ctx)["total"] == 1
    [event] = outbox(session, "contact_restored")
    assert (event["contact_id"], event["client_id"]) == (portal_ada["id"], acme["id"])
    invitations.invite_contact(session, ctx, portal_ada["id"])  # invited anew


def test_archiving_contacts_needs_delete_clients_and_a_live_client_to_restore(
    session, ctx, make_ctx, acme, ada
):
    editor = make_ctx(agency_id=ctx.agency_id, permissions={"view_clients", "edit_clients"})
    with pytest.raises(PermissionDenied):
        contacts.archive_contact(session, editor, ada["id"])
    with pytest.raises(NotFound):
        contacts.archive_contact(session, make_ctx(), ada["id"])
    contacts.archive_contact(session, ctx, ada["id"])
    companies.archive_client(session, ctx, acme["id"])
    with pytest.raises(Conflict):
        contacts.restore_contact(session, ctx, ada["id"])


def test_a_moved_portal_contacts_login_follows_it_to_the_new_client(
    session, ctx, answers, identity, portal_ada
):
    globex = companies.create_client(session, ctx, answers, name="Globex")
    moved = contacts.update_contact(session, ctx, portal_ada["id"], client_id=globex["id"])
    assert moved["portal_status"] == "active"
    push(session, ctx, identity)
    assert identity.calls == [
        ("update_portal_login", portal_ada["id"], "ada@acme.com", "Ada", globex["id"])
    ]


def test_a_contacts_invitation_is_cancelled_by_the_contact(session, ctx, ada):
    invitation = invitations.invite_contact(session, ctx, ada["id"])
    cancelled = invitations.cancel_contact_invitation(session, ctx, ada["id"])
    assert (cancelled["id"], cancelled["status"]) == (invitation["id"], "cancelled")
    assert contacts.get_contact(session, ctx, ada["id"])["portal_status"] == "none"
    with pytest.raises(NotFound):
        invitations.cancel_contact_invitation(session, ctx, ada["id"])


def test_invitations_are_listed_a_page_at_a_time(session, ctx, answers, acme):
    for n in range(3):
        contact = contacts.create_contact(
            session, ctx, answers, f"P{n}", f"p{n}@acme.com", acme["id"]
        )
        invitations.invite_contact(session, ctx, contact["id"])
    first = invitations.list_invitations(session, ctx, per_page=2)
    second = invitations.list_invitations(session, ctx, page=2, per_page=2)
    assert (first["total"], len(first["items"]), len(second["items"])) == (3, 2, 1)
    assert [i["contact_name"] for i in first["items"] + second["items"]] == ["P2", "P1", "P0"]
    of_one = invitations.list_invitations(session, ctx, None, contact["id"])
    assert [i["contact_id"] for i in of_one["items"]] == [contact["id"]]


def test_the_team_logs_a_request_for_a_client(session, ctx, make_ctx, answers, acme, ada, outbox):
    request = client_requests.create_request(
        session, ctx, acme["id"], "Quarterly report", "By Friday", "Reporting", ada["id"]
    )
    assert (request["client_name"], request["contact_name"]) == ("Acme", "Ada")
    [event] = outbox(session, "request_created")
    assert event["account_manager_ids"] == ["u-1", "u-2"]
    assert (event["client_request_id"], event["title"]) == (request["id"], "Quarterly report")
    anonymous = client_requests.create_request(session, ctx, acme["id"], "No contact")
    assert anonymous["contact_id"] is None
    globex = companies.create_client(session, ctx, answers, name="Globex")
    with pytest.raises(ValidationError):  # Ada is not Globex's
        client_requests.create_request(session, ctx, globex["id"], "X", contact_id=ada["id"])
    with pytest.raises(ValidationError):
        client_requests.create_request(session, ctx, acme["id"], "  ")
    viewer = make_ctx(agency_id=ctx.agency_id, permissions={"view_clients"})
    with pytest.raises(PermissionDenied):
        client_requests.create_request(session, viewer, acme["id"], "X")
    with pytest.raises(NotFound):
        client_requests.create_request(session, make_ctx(), acme["id"], "X")


def test_a_login_made_by_an_acceptance_that_never_committed_is_disabled_and_the_link_still_works(
    session, ctx, identity, ada, outbox
):
    invitations.invite_contact(session, ctx, ada["id"])
    token = outbox(session, "contact_invited")[-1]["invitation_token"]
    # the acceptance's first step commits and identity makes the login; then the process dies
    claim = invitations.claim_invitation(session, ANONYMOUS, token)
    session.commit()
    system = Context.system(claim["agency_id"]).to_dict()
    identity.create_portal_login(
        system, ada["id"], ada["client_id"], ada["email"], "Ada", "pw-long!"
    )
    [row] = due(session)
    row.due_at = utcnow()  # its grace has passed
    assert portal_sync.reconcile(session, identity) == 1
    assert identity.calls == [("disable_portal_login", ada["id"])]
    assert contacts.get_contact(session, ctx, ada["id"])["portal_status"] == "invited"
    accepted = portal_sync.accept_invitation(session, ANONYMOUS, identity, token, "long-password")
    assert accepted["contact_id"] == ada["id"]
    assert contacts.get_contact(session, ctx, ada["id"])["portal_status"] == "active"
    assert due(session) == []
