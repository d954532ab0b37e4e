"""The clients service over real RabbitMQ and PostgreSQL, next to the real identity service."""

import base64
import time

import pytest
from nameko.exceptions import RemoteError

from kit.errors import (
    Conflict,
    LimitExceeded,
    NotFound,
    PermissionDenied,
    RateLimited,
    Unauthenticated,
    ValidationError,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


def test_health(clients, signup):
    owner, _ = signup()
    assert clients.health(owner) == {"service": "clients", "ok": True}


def test_create_search_and_events_published(clients, signup, events):
    owner, principal = signup()
    acme = clients.create_client(
        owner,
        name="Acme",
        tags=["vip"],
        account_manager_ids=[principal["principal_id"]],
        logo_base64=base64.b64encode(PNG).decode(),
    )
    globex = clients.create_client(owner, name="Globex")
    contact = clients.create_contact(owner, "Ada", "ada@acme.com", client_id=acme["id"])
    assert clients.client_names(owner) == [
        {"id": acme["id"], "name": "Acme"},
        {"id": globex["id"], "name": "Globex"},
    ]
    found = clients.list_clients(owner, q="acm")
    assert [c["name"] for c in found["items"]] == ["Acme"] and found["items"][0]["has_logo"]
    assert clients.list_contacts(owner, q="acme")["items"][0]["id"] == contact["id"]
    assert clients.get_logo(owner, acme["id"])["content_type"] == "image/png"
    created = events.wait_for("client_created")
    assert created["client_id"] == acme["id"] and created["agency_id"] == owner["agency_id"]
    assert events.wait_for("contact_created")["contact_id"] == contact["id"]
    with pytest.raises(ValidationError):  # account managers are checked with identity
        clients.create_client(owner, name="Initech", account_manager_ids=["someone-else"])


def test_plan_limit_is_refused_with_a_clear_message(clients, signup, set_client_limit):
    owner, _ = signup()
    set_client_limit(owner["agency_id"], 1)
    clients.create_client(owner, name="Acme")
    with pytest.raises(LimitExceeded) as raised:
        clients.create_client(owner, name="Globex")
    assert "Your plan allows 1 clients" in raised.value.message
    job = clients.start_import(owner, "clients", "name\nGlobex\nInitech\n")
    assert job["created"] == 0 and job["error_count"] == 2


def test_another_agency_gets_not_found_for_every_id(clients, signup):
    a, _ = signup("Agency A")
    b, _ = signup("Agency B")
    acme = clients.create_client(a, name="Acme")
    ada = clients.create_contact(a, "Ada", "ada@acme.com", client_id=acme["id"])
    entry = clients.create_vault_entry(a, acme["id"], label="FTP", password="pw")
    invitation = clients.invite_contact(a, ada["id"])
    for call in (
        lambda: clients.get_client(b, acme["id"]),
        lambda: clients.update_client(b, acme["id"], name="Mine"),
        lambda: clients.archive_client(b, acme["id"]),
        lambda: clients.get_contact(b, ada["id"]),
        lambda: clients.update_contact(b, ada["id"], name="Eve"),
        lambda: clients.list_vault_entries(b, acme["id"]),
        lambda: clients.reveal_vault_password(b, acme["id"], entry["id"]),
        lambda: clients.cancel_invitation(b, invitation["id"]),
        lambda: clients.get_logo(b, acme["id"]),
    ):
        with pytest.raises(NotFound):
            call()
    assert clients.list_clients(b)["total"] == 0 and clients.list_contacts(b)["total"] == 0


def test_permissions_are_enforced_in_the_service(clients, signup):
    owner, _ = signup()
    acme = clients.create_client(owner, name="Acme")
    entry = clients.create_vault_entry(owner, acme["id"], label="FTP", password="pw")
    viewer = {**owner, "permissions": ["view_clients", "edit_clients"]}
    with pytest.raises(PermissionDenied):
        clients.reveal_vault_password(viewer, acme["id"], entry["id"])
    with pytest.raises(PermissionDenied):
        clients.create_client(viewer, name="Globex")
    with pytest.raises(PermissionDenied):
        clients.start_import(viewer, "contacts", "name,email\nA,a@x.com\n")
    # Listing the vault needs view_vault too (usernames and notes are half a credential).
    with pytest.raises(PermissionDenied):
        clients.list_vault_entries(viewer, acme["id"])
    assert "password" not in clients.list_vault_entries(owner, acme["id"])[0]
    assert clients.reveal_vault_password(owner, acme["id"], entry["id"])["password"] == "pw"
    [audit] = clients.list_vault_reveals(owner, acme["id"])["items"]
    assert audit["principal_id"] == owner["principal_id"]


def test_an_invited_contact_logs_into_the_portal_and_sees_only_its_client(
    clients, identity, signup, events
):
    owner, _ = signup()
    acme = clients.create_client(owner, name="Acme", account_manager_ids=[owner["principal_id"]])
    globex = clients.create_client(owner, name="Globex")
    clients.create_contact(owner, "Cy", "cy@globex.com", client_id=globex["id"])
    ada = clients.create_contact(
        owner, "Ada", "ada@acme.com", client_id=acme["id"], invite=True, invitation_message="Hi"
    )
    token = events.wait_for("contact_invited")["invitation_token"]
    assert clients.get_invitation({"agency_id": None}, token)["client_name"] == "Acme"
    accepted = clients.accept_invitation({"agency_id": None}, token, "a-long-portal-password")
    assert accepted["contact_id"] == ada["id"] and accepted["agency_id"] == owner["agency_id"]
    # the accepted invitation comes with a live session: no second password login
    principal = identity.authenticate_session({"agency_id": None}, accepted["session_token"])
    assert principal == accepted["principal"]
    portal = {
        "agency_id": principal["agency_id"],
        "principal_id": principal["principal_id"],
        "kind": principal["kind"],
        "permissions": principal["permissions"],
        "client_id": principal["client_id"],
        "contact_id": principal.get("contact_id"),
    }
    assert clients.portal_get_client(portal)["name"] == "Acme"
    request = clients.portal_create_request(portal, "New site", "Please", None)
    created = events.wait_for("request_created")
    assert created["account_manager_ids"] == [owner["principal_id"]]
    assert created["contact_name"] == "Ada" and created["client_request_id"] == request["id"]
    assert [r["id"] for r in clients.portal_list_requests(portal)["items"]] == [request["id"]]
    with pytest.raises(PermissionDenied):
        clients.get_client(portal, globex["id"])
    with pytest.raises(PermissionDenied):
        clients.list_contacts(portal)
    with pytest.raises(NotFound):
        clients.get_logo(portal, globex["id"])
    team = clients.set_request_status(owner, request["id"], "done")
    assert team["status"] == "done"


def test_a_large_import_runs_in_the_background_with_progress(clients, signup):
    owner, _ = signup()
    rows = "".join(f"Person {i},p{i}@x.com,Client {i % 3}\n" for i in range(1500))
    job = clients.start_import(owner, "contacts", "name,email,client\n" + rows)
    assert job["status"] in ("queued", "running", "done") and job["total"] == 1500
    for _ in range(200):
        job = clients.get_import(owner, job["id"])
        if job["status"] in ("done", "failed"):
            break
        __import__("time").sleep(0.05)
    assert (job["status"], job["created"], job["processed"]) == ("done", 1500, 1500)
    assert clients.list_contacts(owner)["total"] == 1500


def portal_login(identity, email: str, password: str = "a-long-portal-password") -> dict:
    return identity.login({"agency_id": None}, email, password, "192.0.2.9", kind="contact")


def portal_contact(clients, events, owner, client_id, name, email) -> dict:
    """A contact of the client who accepted the portal invitation."""
    contact = clients.create_contact(owner, name, email, client_id=client_id, invite=True)
    token = events.wait_for("contact_invited")["invitation_token"]
    clients.accept_invitation({"agency_id": None}, token, "a-long-portal-password")
    return contact


def test_the_portal_login_follows_the_contact_and_closes_with_it(clients, identity, signup, events):
    owner, _ = signup()
    # portal login e-mails are unique across agencies, and identity's database is kept
    ada_email, bob_email, new_email = (
        f"{who}-{time.monotonic_ns()}@acme.example.com" for who in ("ada", "bob", "ada-new")
    )
    acme = clients.create_client(owner, name="Acme")
    ada = portal_contact(clients, events, owner, acme["id"], "Ada", ada_email)
    bob = portal_contact(clients, events, owner, acme["id"], "Bob", bob_email)

    clients.update_contact(owner, ada["id"], email=new_email, name="Ada L.")
    principal = portal_login(identity, new_email)["principal"]
    assert (principal["name"], principal["contact_id"]) == ("Ada L.", ada["id"])
    with pytest.raises(Conflict):  # Bob's login has that address: nothing changes
        clients.update_contact(owner, ada["id"], email=bob_email, phone="123")
    assert clients.get_contact(owner, ada["id"])["phone"] == ""

    clients.archive_contact(owner, ada["id"])
    assert events.wait_for("contact_archived")["contact_id"] == ada["id"]
    with pytest.raises(Unauthenticated):
        portal_login(identity, new_email)
    portal_login(identity, bob_email)
    clients.archive_client(owner, acme["id"])
    with pytest.raises(Unauthenticated):
        portal_login(identity, bob_email)
    assert clients.get_contact(owner, bob["id"])["portal_status"] == "none"


def test_team_requests_contact_invitations_and_pages_over_rpc(clients, signup, events):
    owner, principal = signup()
    manager = principal["principal_id"]
    acme = clients.create_client(owner, name="Acme", account_manager_ids=[manager])
    ada = clients.create_contact(owner, "Ada", "ada@acme.com", client_id=acme["id"], invite=True)
    page = clients.list_invitations(owner, per_page=1)
    assert (page["total"], page["per_page"], page["items"][0]["contact_id"]) == (1, 1, ada["id"])
    assert clients.cancel_contact_invitation(owner, ada["id"])["status"] == "cancelled"
    with pytest.raises(NotFound):
        clients.cancel_contact_invitation(owner, ada["id"])

    request = clients.create_request(owner, acme["id"], "Audit", contact_id=ada["id"])
    created = events.wait_for("request_created")
    assert (created["client_request_id"], created["contact_email"]) == (
        request["id"],
        "ada@acme.com",
    )
    assert created["account_manager_ids"] == [manager]

    job = clients.start_import(
        owner, "clients", f"name,account_managers\nGlobex,{principal['email']}\nHooli,x@y.com\n"
    )
    assert ([e["line"] for e in job["errors"]], job["created"]) == ([3], 1)
    globex = clients.list_clients(owner, q="Globex")["items"][0]
    assert globex["account_manager_ids"] == [manager]


@pytest.mark.parametrize("clients_settings", [{"INVITATIONS_PER_HOUR": 2}])
def test_invitation_emails_are_limited_by_the_configured_hourly_allowance(clients, signup):
    owner, _ = signup()
    acme = clients.create_client(owner, name="Acme")
    ada = clients.create_contact(owner, "Ada", "ada@acme.com", client_id=acme["id"], invite=True)
    # the limit is the service's own: a caller cannot raise it (nor send it at all)
    with pytest.raises(RemoteError):
        clients.create_contact(
            owner, "Bob", "bob@acme.com", client_id=acme["id"], per_hour=1000, invite=True
        )
    bob = clients.create_contact(owner, "Bob", "bob@acme.com", client_id=acme["id"])
    invitation = clients.invite_contact(owner, bob["id"])
    with pytest.raises(RateLimited) as raised:
        clients.resend_invitation(owner, invitation["id"])
    assert "2 invitations in the last hour" in raised.value.message
    with pytest.raises(RateLimited):
        clients.create_contact(
            owner,
            "Cy",
            "cy@acme.com",
            client_id=acme["id"],
            invite=True,
        )
    assert clients.get_contact(owner, ada["id"])["portal_status"] == "invited"
