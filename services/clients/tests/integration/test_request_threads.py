"""Requests as conversations, over RPC with the real identity service and moto's S3 server:
threads both ways, internal notes the portal never sees, unread marks per team member,
assignment, attachments, and another agency's (or client's) ids not found."""

from __future__ import annotations

import base64
import time
import urllib.request

import pytest

from kit.errors import NotFound, PermissionDenied, ValidationError
from kit.testing import capture_events

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PASSWORD = "a-long-portal-password"


def files(*items: tuple[str, bytes]) -> list[dict]:
    return [
        {"filename": name, "data_base64": base64.b64encode(data).decode()} for name, data in items
    ]


def portal_ctx(principal: dict) -> dict:
    return {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": principal["kind"],
        "permissions": principal["permissions"],
        "client_id": principal["client_id"],
        "contact_id": principal.get("contact_id"),
    }


def invited(clients, events, owner, client_id, name) -> dict:
    """A contact of the client, signed in to the portal: its call context."""
    email = f"{name.lower()}-{time.monotonic_ns()}@client.test"
    clients.create_contact(owner, name, email, client_id=client_id, invite=True)
    token = events.wait_for("contact_invited")["invitation_token"]
    accepted = clients.accept_invitation({"agency_id": None}, token, PASSWORD)
    return portal_ctx(accepted["principal"])


def teammate(identity, system, owner, name="Tess") -> dict:
    """A second team member with the built-in Admin role, address confirmed: (ctx, user)."""
    roles = identity.list_roles(owner)
    admin = next(r for r in roles if r["name"] == "Admin")
    email = f"{name.lower()}-{time.monotonic_ns()}@agency.test"
    with capture_events(system[2], "identity") as identity_events:
        user = identity.create_user(
            owner, name, email, admin["id"], password="correct-horse-battery"
        )
        token = identity_events.wait_for("user_created")["confirm_token"]
    identity.accept_user_invitation({"agency_id": None}, token)
    login = identity.login({"agency_id": None}, email, "correct-horse-battery", "192.0.2.1")
    principal = login["principal"]
    ctx = {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": "user",
        "permissions": principal["permissions"],
        "request_id": "test",
    }
    return ctx, user


@pytest.fixture
def acme(clients, identity, signup, events):
    owner, _ = signup()
    client = clients.create_client(owner, name="Acme", account_manager_ids=[owner["principal_id"]])
    ada = invited(clients, events, owner, client["id"], "Ada")
    return owner, client, ada


def test_a_thread_goes_both_ways_and_internal_notes_never_reach_the_portal(clients, events, acme):
    owner, _client, ada = acme
    request = clients.portal_create_request(ada, "New logo", "Bolder please")
    events.wait_for("request_created")
    asked = clients.portal_add_request_comment(ada, request["id"], "Any news?")
    added = events.wait_for("request_comment_added")
    assert (added["author_kind"], added["author_name"]) == ("contact", "Ada")
    assert added["client_request_id"] == request["id"]
    note = clients.add_request_comment(owner, request["id"], "She means the red one", True)
    reply = clients.add_request_comment(owner, request["id"], "Working on it")
    replied = events.wait_for("request_comment_added")
    assert replied["author_kind"] == "user" and replied["contact_email"].startswith("ada-")
    assert replied["author_name"] == "Olive Owner"
    clients.set_request_status(owner, request["id"], "in_progress")

    team_view = clients.get_request(owner, request["id"])
    assert [(c["kind"], c["body"]) for c in team_view["thread"]] == [
        ("comment", "Any news?"),
        ("note", "She means the red one"),
        ("comment", "Working on it"),
        ("status", ""),
    ]
    assert team_view["thread"][3]["old_status"] == "open"
    portal_view = clients.portal_get_request(ada, request["id"])
    assert [c["id"] for c in portal_view["thread"]] == [
        asked["id"],
        reply["id"],
        team_view["thread"][3]["id"],
    ]
    assert note["id"] not in str(portal_view)
    assert "She means" not in str(portal_view)
    assert portal_view["status"] == "in_progress"
    # a note tells nobody outside: no event for it
    with pytest.raises(AssertionError):
        while True:
            assert events.wait_for("request_comment_added", timeout=1)["comment_id"] != note["id"]


def test_a_portal_contact_reaches_only_its_own_clients_requests(
    clients, identity, signup, events, acme
):
    owner, client, ada = acme
    globex = clients.create_client(owner, name="Globex")
    cy = invited(clients, events, owner, globex["id"], "Cy")
    theirs = clients.create_request(owner, globex["id"], "Globex thing")
    ours = clients.portal_create_request(ada, "Ours")
    with pytest.raises(NotFound):
        clients.portal_get_request(ada, theirs["id"])
    with pytest.raises(NotFound):
        clients.portal_add_request_comment(ada, theirs["id"], "hello")
    with pytest.raises(PermissionDenied):
        clients.add_request_comment(ada, ours["id"], "as the team", True)
    with pytest.raises(PermissionDenied):
        clients.get_request(ada, ours["id"])
    assert clients.portal_get_request(cy, theirs["id"])["title"] == "Globex thing"
    # another agency: every id is not found
    other, _ = signup("Other Agency")
    for call in (
        lambda: clients.get_request(other, ours["id"]),
        lambda: clients.add_request_comment(other, ours["id"], "hi"),
        lambda: clients.set_request_status(other, ours["id"], "done"),
        lambda: clients.assign_request(other, ours["id"], None),
        lambda: clients.list_requests(other, client_id=client["id"]),
    ):
        with pytest.raises(NotFound):
            call()
    assert clients.list_requests(other)["total"] == 0


def test_unread_is_per_team_member_and_assignment_filters_the_inbox(
    clients, identity, system, events, acme
):
    owner, client, ada = acme
    tess_ctx, tess = teammate(identity, system, owner)
    request = clients.portal_create_request(ada, "Fix the footer")
    other = clients.create_request(owner, client["id"], "Logged by the owner")
    owner_inbox = {r["id"]: r["unread"] for r in clients.list_requests(owner)["items"]}
    assert owner_inbox == {request["id"]: True, other["id"]: False}
    assert clients.count_requests(owner) == {"open": 2, "unread": 1, "assigned_to_me": 0}
    clients.get_request(owner, request["id"])  # opening it reads it, for the owner only
    assert clients.list_requests(owner, unread=True)["total"] == 0
    assert clients.list_requests(tess_ctx, unread=True)["total"] == 2

    assigned = clients.assign_request(owner, request["id"], tess["id"])
    assert assigned["assignee_id"] == tess["id"]
    assert events.wait_for("request_assigned")["assignee_id"] == tess["id"]
    mine = clients.list_requests(tess_ctx, assignee_id=tess["id"])
    assert [r["id"] for r in mine["items"]] == [request["id"]]
    assert clients.list_requests(owner, assignee_id="none")["total"] == 1
    assert clients.count_requests(tess_ctx)["assigned_to_me"] == 1
    with pytest.raises(ValidationError) as refused:
        clients.assign_request(owner, request["id"], "00000000-0000-0000-0000-000000000000")
    assert "assignee_id" in refused.value.fields

    # the contact's new comment makes it unread again for the owner; the owner's own does not
    clients.portal_add_request_comment(ada, request["id"], "One more thing")
    assert clients.list_requests(owner, unread=True)["total"] == 1
    clients.add_request_comment(owner, request["id"], "Noted")
    assert clients.list_requests(owner, unread=True)["total"] == 0
    assert clients.list_requests(owner, status="open", client_id=client["id"])["total"] == 2
    by_manager = clients.list_requests(owner, account_manager_id=owner["principal_id"])
    assert by_manager["total"] == 2
    assert clients.list_requests(owner, contact_id=ada["contact_id"])["total"] == 1


def test_attachments_are_stored_in_s3_and_given_only_to_who_may_see_them(
    clients, events, signup, acme
):
    owner, _client, ada = acme
    request = clients.portal_create_request(
        ada, "Brand files", attachments=files(("brief.txt", b"Make it pop"))
    )
    comment = clients.portal_add_request_comment(
        ada, request["id"], "The logo", files(("logo.png", PNG))
    )
    note = clients.add_request_comment(
        owner, request["id"], "internal copy", True, files(("cost.csv", b"a,b\n1,2\n"))
    )
    (logo,) = comment["attachments"]
    assert (logo["filename"], logo["content_type"], logo["size"]) == (
        "logo.png",
        "image/png",
        len(PNG),
    )
    link = clients.portal_get_request_attachment(ada, request["id"], logo["id"])
    with urllib.request.urlopen(link["url"], timeout=10) as answer:
        assert answer.read() == PNG
        assert answer.headers["Content-Disposition"] == 'attachment; filename="logo.png"'
    accented = clients.add_request_comment(
        owner, request["id"], "", False, files(('Grüße "final".txt', b"hello"))
    )["attachments"][0]
    assert accented["filename"] == 'Grüße "final".txt'
    link = clients.get_request_attachment(owner, request["id"], accented["id"])
    with urllib.request.urlopen(link["url"], timeout=10) as answer:
        assert answer.read() == b"hello"
    team_view = clients.get_request(owner, request["id"])
    assert [a["filename"] for a in team_view["attachments"]] == ["brief.txt"]
    hidden = note["attachments"][0]["id"]
    assert clients.get_request_attachment(owner, request["id"], hidden)["filename"] == "cost.csv"
    with pytest.raises(NotFound):  # a file on an internal note is not the contact's
        clients.portal_get_request_attachment(ada, request["id"], hidden)
    assert "cost.csv" not in str(clients.portal_get_request(ada, request["id"]))
    other, _ = signup("Other Agency")
    with pytest.raises(NotFound):
        clients.get_request_attachment(other, request["id"], logo["id"])


def test_attachments_out_of_limits_are_refused_with_a_clear_reason_and_nothing_kept(clients, acme):
    _owner, _client, ada = acme
    request = clients.portal_create_request(ada, "Files")
    refused = {
        "run.exe": b"MZ\x90\x00" + b"\x00" * 20,  # not an accepted type
        "fake.pdf": b"hello, not a pdf",  # the name lies about the content
        "big.txt": b"x" * (10 * 1024 * 1024 + 1),
        "empty.txt": b"",
    }
    for name, data in refused.items():
        with pytest.raises(ValidationError) as exc:
            clients.portal_add_request_comment(ada, request["id"], "see", files((name, data)))
        assert name in exc.value.message and "attachments" in exc.value.fields
    with pytest.raises(ValidationError):
        clients.portal_add_request_comment(ada, request["id"], "   ")
    assert clients.portal_get_request(ada, request["id"])["thread"] == []
