"""Request threads through the running system: attachments stored in moto's S3 server and
downloaded through the gateway, internal notes never in the portal's API, e-mails to the other
side with a link back, the inbox's unread marks and counts."""

from __future__ import annotations

import base64
import uuid

import pytest

from kit.testing import png_bytes
from tests.support.api import assert_error, unique_email
from tests.support.clients import portal_session, team_member

pytestmark = pytest.mark.e2e


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@pytest.fixture
def acme(new_agency, mailbox):
    """An agency's owner, its client Acme (owner is account manager), and Ada's portal session."""
    owner = new_agency()
    owner_id = owner.get("/me", expect=200).json()["user"]["principal_id"]
    client = owner.post(
        "/clients",
        json={"name": f"Acme {uuid.uuid4().hex[:6]}", "account_manager_ids": [owner_id]},
        expect=201,
    ).json()
    email = unique_email("ada")
    owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Ada", "email": email, "invite": True},
        expect=201,
    )
    portal = portal_session(owner, mailbox, email)
    portal.email = email
    return owner, client, portal


def test_a_thread_with_files_both_ways_through_s3_and_the_emails_it_sends(acme, mailbox):
    owner, _, portal = acme
    logo = png_bytes()
    created = portal.post(
        "/portal/requests",
        json={
            "title": "New logo",
            "attachments": [{"filename": "brief.txt", "data_base64": b64(b"Bold, red")}],
        },
        expect=201,
    ).json()
    request_id = created["id"]
    comment = portal.post(
        f"/portal/requests/{request_id}/comments",
        json={
            "body": "Here is the old one",
            "attachments": [{"filename": "old-logo.png", "data_base64": b64(logo)}],
        },
        expect=201,
    ).json()
    # the account manager hears of the comment, with a link to the request, not its text
    told = mailbox.wait_for(owner.email, "Ada commented on New logo")
    assert f"/requests/{request_id}" in told.text and "Here is the old one" not in told.text

    inbox = owner.get("/requests", params={"unread": "true"}, expect=200).json()
    assert [r["id"] for r in inbox["items"]] == [request_id]
    assert owner.get("/requests/counts", expect=200).json()["unread"] == 1

    (file,) = comment["attachments"]
    download = owner.get(f"/requests/{request_id}/attachments/{file['id']}", expect=200)
    assert download.content == logo
    assert download.headers["Content-Type"] == "image/png"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    note = owner.post(
        f"/requests/{request_id}/notes",
        files={"attachments": ("quote.pdf", b"%PDF-1.4 internal price", "application/pdf")},
        data={"body": "Budget is 500"},
        expect=201,
    ).json()
    owner.post(f"/requests/{request_id}/comments", json={"body": "On it!"}, expect=201)
    reply = mailbox.wait_for(portal.email, "New reply on your request: New logo")
    assert f"/portal/requests/{request_id}" in reply.text and "On it!" not in reply.text
    owner.patch(f"/requests/{request_id}", json={"status": "done"}, expect=200)
    mailbox.wait_for(portal.email, "Your request is done: New logo")

    seen = portal.get(f"/portal/requests/{request_id}", expect=200).json()
    assert [e["kind"] for e in seen["thread"]] == ["comment", "comment", "status"]
    assert "Budget" not in str(seen) and "quote.pdf" not in str(seen)
    assert [a["filename"] for a in seen["attachments"]] == ["brief.txt"]
    comments = portal.get(f"/portal/requests/{request_id}/comments", expect=200).json()
    assert comments["total"] == 3
    hidden = note["attachments"][0]["id"]
    assert_error(
        portal.get(f"/portal/requests/{request_id}/attachments/{hidden}"), 404, "not_found"
    )
    mine = portal.get(f"/portal/requests/{request_id}/attachments/{file['id']}", expect=200)
    assert mine.content == logo
    team_thread = owner.get(f"/requests/{request_id}/comments", expect=200).json()
    assert [e["kind"] for e in team_thread["items"]] == ["comment", "note", "comment", "status"]


def test_files_of_another_agency_or_another_client_are_not_found(acme, new_agency, mailbox):
    owner, _, portal = acme
    request_id = portal.post("/portal/requests", json={"title": "Files"}, expect=201).json()["id"]
    file = portal.post(
        f"/portal/requests/{request_id}/comments",
        json={"attachments": [{"filename": "a.txt", "data_base64": b64(b"hello")}]},
        expect=201,
    ).json()["attachments"][0]
    path = f"/requests/{request_id}/attachments/{file['id']}"
    other = new_agency()
    assert_error(other.get(path), 404, "not_found")
    assert_error(other.get(f"/requests/{request_id}"), 404, "not_found")
    # a contact of another client of the same agency
    globex = owner.post("/clients", json={"name": f"Globex {uuid.uuid4().hex[:6]}"}, expect=201)
    email = unique_email("cy")
    owner.post(
        f"/clients/{globex.json()['id']}/contacts",
        json={"name": "Cy", "email": email, "invite": True},
        expect=201,
    )
    cy = portal_session(owner, mailbox, email)
    assert_error(cy.get(f"/portal{path}"), 404, "not_found")
    assert_error(cy.get(f"/portal/requests/{request_id}"), 404, "not_found")


def test_attachments_refused_say_why_and_assigning_needs_edit_rights(acme, mailbox):
    owner, _, portal = acme
    request_id = portal.post("/portal/requests", json={"title": "X"}, expect=201).json()["id"]
    refused = portal.post(
        f"/portal/requests/{request_id}/comments",
        json={"attachments": [{"filename": "tool.exe", "data_base64": b64(b"MZ\x90\x00rest")}]},
    )
    error = assert_error(refused, 422)
    assert "tool.exe" in error["message"] and "attachments" in error["fields"]
    viewer = team_member(owner, "Member")
    member_id = viewer.get("/me", expect=200).json()["user"]["principal_id"]
    assert_error(
        viewer.post(f"/requests/{request_id}/assign", json={"assignee_id": member_id}),
        403,
    )
    assigned = owner.post(
        f"/requests/{request_id}/assign", json={"assignee_id": member_id}, expect=200
    ).json()
    assert assigned["assignee_id"] == member_id
    told = mailbox.wait_for(viewer.email, "Assigned to you: X")
    assert f"/requests/{request_id}" in told.text
    mine = viewer.get("/requests", params={"assignee_id": member_id}, expect=200).json()
    assert [r["id"] for r in mine["items"]] == [request_id]
