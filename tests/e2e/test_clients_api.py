"""Clients, contacts, CSV import, the credential vault, portal invitations and tenant isolation,
through /api/v1 of the running system."""

from __future__ import annotations

import time
import uuid

import pytest

from kit.testing import png_bytes
from tests.support.api import STRONG_PASSWORD, assert_error, unique_email
from tests.support.clients import portal_session, team_member

pytestmark = pytest.mark.e2e


def unique_name(prefix: str = "Client") -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def make_client(owner, **fields) -> dict:
    body = {"name": unique_name(), **fields}
    return owner.post("/clients", json=body, expect=201).json()


def make_contact(owner, client_id: str, **fields) -> dict:
    body = {"name": "Casey Contact", "email": unique_email("contact"), **fields}
    return owner.post(f"/clients/{client_id}/contacts", json=body, expect=201).json()


def wait_for_import(owner, job: dict, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.3)
        job = owner.get(f"/clients/import/{job['id']}", expect=200).json()
    return job


# --- clients and contacts ------------------------------------------------------------------


def test_created_clients_and_contacts_are_found_by_search_and_filters(new_agency):
    owner = new_agency()
    acme = make_client(
        owner,
        name=unique_name("Acme"),
        tags=["retail", "vip"],
        website="acme.example.com",
        account_manager_ids=[owner.user["principal_id"]],
    )
    other = make_client(owner, name=unique_name("Globex"), tags=["wholesale"])
    make_contact(owner, acme["id"], name="Ada Lovelace", position="CTO")
    make_contact(owner, acme["id"], name="Brian Kernighan")
    make_contact(owner, other["id"], name="Grace Hopper")

    assert acme["website"] == "https://acme.example.com"
    found = owner.get("/clients", params={"q": acme["name"][:8]}, expect=200).json()
    assert [c["id"] for c in found["items"]] == [acme["id"]]
    assert found["items"][0]["contact_count"] == 2
    by_tag = owner.get("/clients", params={"tag": "wholesale"}, expect=200).json()
    assert [c["id"] for c in by_tag["items"]] == [other["id"]]
    by_manager = owner.get(
        "/clients", params={"account_manager_id": owner.user["principal_id"]}, expect=200
    ).json()
    assert [c["id"] for c in by_manager["items"]] == [acme["id"]]
    by_contacts = owner.get("/clients", params={"sort": "-contact_count"}, expect=200).json()
    assert by_contacts["items"][0]["id"] == acme["id"]

    contacts = owner.get("/contacts", params={"q": "cto"}, expect=200).json()
    assert [c["name"] for c in contacts["items"]] == ["Ada Lovelace"]
    by_client_name = owner.get("/contacts", params={"q": other["name"]}, expect=200).json()
    assert [c["name"] for c in by_client_name["items"]] == ["Grace Hopper"]
    of_acme = owner.get(f"/clients/{acme['id']}/contacts", expect=200).json()
    assert sorted(c["name"] for c in of_acme["items"]) == ["Ada Lovelace", "Brian Kernighan"]


def test_status_archive_and_contact_move(new_agency):
    owner = new_agency()
    first, second = make_client(owner), make_client(owner)
    contact = make_contact(owner, first["id"])

    owner.post(f"/clients/{first['id']}/status", json={"status": "inactive"}, expect=200)
    inactive = owner.get("/clients", params={"status": "inactive"}, expect=200).json()
    assert [c["id"] for c in inactive["items"]] == [first["id"]]
    moved = owner.patch(
        f"/contacts/{contact['id']}",
        json={"client_id": second["id"], "phone": "+1 555 0100"},
        expect=200,
    ).json()
    assert (moved["client_id"], moved["phone"]) == (second["id"], "+1 555 0100")

    archived = owner.post(f"/clients/{second['id']}/archive", expect=200).json()
    assert archived["archived"] is True
    listed = owner.get("/clients", expect=200).json()
    assert second["id"] not in [c["id"] for c in listed["items"]]
    assert owner.get(f"/clients/{second['id']}", expect=200).json()["archived"] is True


def test_client_input_errors_are_4xx_with_field_messages(new_agency):
    owner = new_agency()
    client = make_client(owner)

    assert "name" in assert_error(owner.post("/clients", json={}), 422)["fields"]
    assert_error(owner.post("/clients", json={"name": client["name"].upper()}), 409, "conflict")
    assert_error(owner.post("/clients", json={"name": "X Y", "colour": "red"}), 422)
    assert_error(owner.get("/clients", params={"sort": "shoe_size"}), 422)
    assert_error(owner.post("/clients", data="name=x"), 415)
    duplicate = {"name": "Dup", "email": "dup@e2e.example.com"}
    owner.post(f"/clients/{client['id']}/contacts", json=duplicate, expect=201)
    assert_error(owner.post(f"/clients/{client['id']}/contacts", json=duplicate), 409)


def test_logo_upload_is_checked_and_served_with_its_content_type(new_agency):
    owner = new_agency()
    client = make_client(owner)
    image = png_bytes()

    updated = owner.request(
        "PUT",
        f"/clients/{client['id']}/logo",
        data=image,
        headers={"Content-Type": "image/png"},
        expect=200,
    ).json()
    assert updated["has_logo"] is True
    logo = owner.get(f"/clients/{client['id']}/logo", expect=200)
    assert logo.headers["Content-Type"] == "image/png"
    assert "max-age" in logo.headers["Cache-Control"]
    assert logo.content == image

    multipart = owner.request(
        "PUT",
        f"/clients/{client['id']}/logo",
        files={"file": ("logo.png", image, "image/png")},
        expect=200,
    )
    assert multipart.json()["has_logo"] is True
    not_image = owner.request(
        "PUT",
        f"/clients/{client['id']}/logo",
        files={"file": ("logo.png", b"GIF89a....", "image/png")},
    )
    assert_error(not_image, 422)
    too_large = image + b"\x00" * (2 * 1024 * 1024)
    assert_error(
        owner.request(
            "PUT",
            f"/clients/{client['id']}/logo",
            data=too_large,
            headers={"Content-Type": "image/png"},
        ),
        413,
    )


# --- CSV import ----------------------------------------------------------------------------

CLIENTS_CSV = (
    "Company,Website,Tags,Notes\n"
    "{a},a.example.com,retail,first\n"
    ",nameless.example.com,,no name\n"
    "{b},not a website,,bad site\n"
    '{c},c.example.com,"retail,vip",third\n'
)


def test_input_that_once_crashed_the_service_is_a_4xx_with_the_field(new_agency):
    owner = new_agency()
    acme, globex = make_client(owner), make_client(owner)
    for params in ({"page": 10**18}, {"page": 100001}, {"per_page": 10**6}):
        for path in ("/clients", "/contacts", "/requests", "/invitations"):
            assert_error(owner.get(path, params=params), 422)
    assert owner.get("/clients", params={"page": 100000}, expect=200).json()["items"] == []

    website = assert_error(owner.post("/clients", json={"name": "Brk", "website": "http://["}), 422)
    assert "website" in website["fields"]
    url = assert_error(
        owner.post(f"/clients/{acme['id']}/vault", json={"label": "FTP", "url": "http://["}), 422
    )
    assert "url" in url["fields"]
    csv = f"Name,Website\n{unique_name()},ok.example.com\n{unique_name()},http://[\n"
    job = wait_for_import(owner, owner.post("/clients/import", json={"csv": csv}).json())
    assert (job["status"], job["created"], [e["line"] for e in job["errors"]]) == ("done", 1, [3])

    taken = owner.patch(
        f"/clients/{globex['id']}", json={"name": acme["name"], "custom_fields": {}}
    )
    assert "name" in assert_error(taken, 409, "conflict")["fields"]
    ada, bob = make_contact(owner, acme["id"]), make_contact(owner, acme["id"])
    taken = owner.patch(
        f"/contacts/{bob['id']}", json={"email": ada["email"], "client_id": globex["id"]}
    )
    assert "email" in assert_error(taken, 409, "conflict")["fields"]


def test_an_invitation_is_not_accepted_once_the_contacts_address_changed(new_agency, mailbox):
    """An agency cannot invite an address it controls, switch the contact to somebody else's
    address and accept, taking that address's portal login."""
    owner = new_agency()
    client = make_client(owner)
    mine, victim = unique_email("squatter"), unique_email("victim")
    contact = make_contact(owner, client["id"], email=mine, invite=True)
    changed = owner.patch(f"/contacts/{contact['id']}", json={"email": victim}, expect=200).json()
    assert changed["portal_status"] == "none"
    with pytest.raises(AssertionError, match="404"):
        portal_session(owner, mailbox, mine)
    # the victim's own agency can still give them portal access
    theirs = new_agency()
    their_contact = make_contact(theirs, make_client(theirs)["id"], email=victim, invite=True)
    portal = portal_session(theirs, mailbox, victim)
    assert portal.get("/portal/client", expect=200).json()["id"] == their_contact["client_id"]


def test_csv_import_reports_bad_rows_by_line_and_reimport_creates_no_duplicates(new_agency):
    owner = new_agency()
    a, b, c = unique_name("Alpha"), unique_name("Beta"), unique_name("Gamma")
    csv = CLIENTS_CSV.format(a=a, b=b, c=c)

    preview = owner.post(
        "/clients/import", json={"kind": "clients", "csv": csv, "preview": True}, expect=200
    ).json()
    assert preview["mapping"]["Company"] == "name"
    assert preview["total_rows"] == 4
    assert sorted(e["line"] for e in preview["errors"]) == [3, 4]
    assert owner.get("/clients", expect=200).json()["total"] == 0  # a preview writes nothing

    job = wait_for_import(
        owner, owner.post("/clients/import", json={"kind": "clients", "csv": csv}).json()
    )
    assert job["status"] == "done", job
    assert (job["created"], job["error_count"]) == (2, 2)
    assert sorted(e["line"] for e in job["errors"]) == [3, 4]
    names = {c["name"] for c in owner.get("/clients", expect=200).json()["items"]}
    assert names == {a, c}

    again = wait_for_import(
        owner, owner.post("/clients/import", json={"kind": "clients", "csv": csv}).json()
    )
    assert (again["created"], again["updated"] + again["unchanged"]) == (0, 2)
    assert owner.get("/clients", expect=200).json()["total"] == 2


def test_contacts_import_from_a_multipart_upload_creates_missing_clients(new_agency):
    owner = new_agency()
    client_name = unique_name("Initech")
    csv = (
        "Name,Email,Client,Position\n"
        f"Peter Gibbons,{unique_email('peter')},{client_name},Engineer\n"
        f"Bill Lumbergh,not-an-email,{client_name},VP\n"
    )
    answer = owner.post(
        "/clients/import",
        files={"file": ("contacts.csv", csv.encode(), "text/csv")},
        data={"kind": "contacts"},
    )
    assert answer.status_code in (201, 202), answer.text
    job = wait_for_import(owner, answer.json())
    assert (job["created"], [e["line"] for e in job["errors"]]) == (1, [3])
    contacts = owner.get("/contacts", params={"q": client_name}, expect=200).json()["items"]
    assert [c["name"] for c in contacts] == ["Peter Gibbons"]


def test_import_refuses_a_file_that_is_not_csv(new_agency):
    owner = new_agency()
    answer = owner.post(
        "/clients/import", files={"file": ("x.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "text/csv")}
    )
    assert_error(answer, 422)


# --- credential vault ----------------------------------------------------------------------


def test_vault_reveal_is_audited_and_refused_without_view_vault(new_agency):
    owner = new_agency()
    client = make_client(owner)
    entry = owner.post(
        f"/clients/{client['id']}/vault",
        json={"label": "Google Ads", "username": "ads@acme.test", "password": "s3cret-Pa55"},
        expect=201,
    ).json()
    assert "password" not in entry and entry["has_password"] is True
    listed = owner.get(f"/clients/{client['id']}/vault", expect=200)
    assert "s3cret-Pa55" not in listed.text

    revealed = owner.post(f"/clients/{client['id']}/vault/{entry['id']}/reveal", expect=200)
    assert revealed.json()["password"] == "s3cret-Pa55"
    assert revealed.headers["Cache-Control"] == "no-store"
    audit = owner.get("/vault/reveals", expect=200).json()["items"]
    assert [(r["entry_id"], r["principal_id"]) for r in audit] == [
        (entry["id"], owner.user["principal_id"])
    ]

    member = team_member(owner, "Member")  # view_clients, no view_vault
    # The issue-8 finding: a Member listed usernames, URLs and notes; listing needs view_vault.
    assert_error(member.get(f"/clients/{client['id']}/vault"), 403, "permission_denied")
    refused = member.post(f"/clients/{client['id']}/vault/{entry['id']}/reveal")
    error = assert_error(refused, 403, "permission_denied")
    assert "reveal credentials kept in the client vault" in error["message"]
    assert error["fields"] == {"permission": ["view_vault"]}
    assert_error(member.get("/vault/reveals"), 403)
    assert owner.get("/vault/reveals", expect=200).json()["total"] == 1


# --- portal invitations and the portal ------------------------------------------------------


def test_invited_contact_accepts_the_emailed_link_and_sees_only_its_own_client(new_agency, mailbox):
    owner = new_agency()
    mine, theirs = make_client(owner, description="Our shop"), make_client(owner)
    email = unique_email("portal")
    contact = owner.post(
        "/contacts",
        json={
            "name": "Pat Portal",
            "email": email,
            "client_id": mine["id"],
            "invite": True,
            "invitation_message": "Welcome aboard!",
        },
        expect=201,
    ).json()
    assert contact["portal_status"] == "invited"
    pending = owner.get("/invitations", expect=200).json()["items"]
    assert [i["contact_id"] for i in pending] == [contact["id"]]

    portal = portal_session(owner, mailbox, email)

    profile = portal.get("/portal/client", expect=200).json()
    assert (profile["id"], profile["name"]) == (mine["id"], mine["name"])
    created = portal.post(
        "/portal/requests", json={"title": "New landing page", "service_name": "Web"}, expect=201
    ).json()
    assert created["client_id"] == mine["id"]
    assert [r["id"] for r in portal.get("/portal/requests", expect=200).json()["items"]] == [
        created["id"]
    ]
    # Team endpoints refuse a portal login, whatever client it names.
    assert_error(portal.get("/clients"), 403)
    assert_error(portal.get(f"/clients/{theirs['id']}"), 403)
    assert_error(portal.get(f"/contacts/{contact['id']}"), 403)

    team_view = owner.get("/requests", params={"client_id": mine["id"]}, expect=200).json()
    assert [r["title"] for r in team_view["items"]] == ["New landing page"]
    done = owner.patch(f"/requests/{created['id']}", json={"status": "done"}, expect=200).json()
    assert done["status"] == "done"
    assert owner.get(f"/contacts/{contact['id']}", expect=200).json()["portal_status"] == "active"
    assert owner.get("/invitations", expect=200).json()["items"] == []

    again = owner.anonymous()
    again.post("/portal/login", json={"email": email, "password": STRONG_PASSWORD}, expect=200)
    assert again.get("/portal/client", expect=200).json()["id"] == mine["id"]


def test_a_cancelled_invitation_link_no_longer_works(new_agency, mailbox):
    owner = new_agency()
    client = make_client(owner)
    email = unique_email("cancelled")
    contact = make_contact(owner, client["id"], email=email)
    owner.post(f"/contacts/{contact['id']}/invitation", json={"message": "Hi"}, expect=201)
    mailbox.wait_for(email, "client portal", timeout=20)

    owner.delete(f"/contacts/{contact['id']}/invitation", expect=200)

    assert owner.get(f"/contacts/{contact['id']}", expect=200).json()["portal_status"] == "none"
    with pytest.raises(AssertionError, match="404"):
        portal_session(owner, mailbox, email)
    assert_error(owner.delete(f"/contacts/{contact['id']}/invitation"), 404)


def test_the_portal_login_follows_the_contact_and_ends_when_it_is_archived(new_agency, mailbox):
    owner = new_agency()
    client = make_client(owner)
    email, new_email = unique_email("follow"), unique_email("followed")
    contact = make_contact(owner, client["id"], email=email, invite=True)
    portal_session(owner, mailbox, email)

    owner.patch(f"/contacts/{contact['id']}", json={"email": new_email}, expect=200)
    portal = owner.anonymous()
    portal.post("/portal/login", json={"email": new_email, "password": STRONG_PASSWORD}, expect=200)

    member = team_member(owner, "Member")
    assert_error(member.post(f"/contacts/{contact['id']}/archive"), 403)
    archived = owner.post(f"/contacts/{contact['id']}/archive", expect=200).json()
    assert (archived["archived"], archived["portal_status"]) == (True, "none")
    assert owner.get("/contacts", expect=200).json()["total"] == 0
    refused = portal.anonymous().post(
        "/portal/login", json={"email": new_email, "password": STRONG_PASSWORD}
    )
    assert_error(refused, 401)
    assert_error(portal.get("/portal/client"), 401)  # its session ended too

    restored = owner.post(f"/contacts/{contact['id']}/restore", expect=200).json()
    assert restored["archived"] is False
    assert owner.get("/contacts", expect=200).json()["total"] == 1


def test_the_team_logs_requests_and_pages_through_invitations(new_agency):
    owner = new_agency()
    client = make_client(owner, account_manager_ids=[owner.user["principal_id"]])
    contacts = [make_contact(owner, client["id"], invite=True) for _ in range(3)]

    page = owner.get("/invitations", params={"per_page": 2}, expect=200).json()
    assert (page["total"], page["page"], len(page["items"])) == (3, 1, 2)
    second = owner.get("/invitations", params={"per_page": 2, "page": 2}, expect=200).json()
    assert len(second["items"]) == 1

    created = owner.post(
        "/requests",
        json={
            "client_id": client["id"],
            "title": "Monthly report",
            "contact_id": contacts[0]["id"],
        },
        expect=201,
    ).json()
    assert (created["client_id"], created["contact_name"]) == (client["id"], "Casey Contact")
    listed = owner.get("/requests", params={"client_id": client["id"]}, expect=200).json()
    assert [r["id"] for r in listed["items"]] == [created["id"]]
    assert_error(owner.post("/requests", json={"title": "No client"}), 422)
    member = team_member(owner, "Member")
    assert_error(member.post("/requests", json={"client_id": client["id"], "title": "X"}), 403)


def test_a_clients_import_sets_account_managers_by_team_email(new_agency):
    owner = new_agency()
    name, other = unique_name("Managed"), unique_name("Unmanaged")
    csv = f"Company,Account manager\n{name},{owner.email}\n{other},stranger@e2e.example.com\n"
    job = wait_for_import(owner, owner.post("/clients/import", json={"csv": csv}).json())
    assert (job["created"], [e["line"] for e in job["errors"]]) == (1, [3])
    [client] = owner.get("/clients", params={"q": name}, expect=200).json()["items"]
    assert client["account_manager_ids"] == [owner.user["principal_id"]]


# --- tenant isolation ----------------------------------------------------------------------


def test_another_agency_gets_404_for_every_id_of_this_one(new_agency, mailbox):
    agency_a, agency_b = new_agency(), new_agency()
    client = make_client(agency_a)
    agency_a.request(
        "PUT",
        f"/clients/{client['id']}/logo",
        data=png_bytes(),
        headers={"Content-Type": "image/png"},
        expect=200,
    )
    email = unique_email("isolated")
    contact = make_contact(agency_a, client["id"], email=email, invite=True)
    entry = agency_a.post(
        f"/clients/{client['id']}/vault", json={"label": "FTP", "password": "pw"}, expect=201
    ).json()
    portal = portal_session(agency_a, mailbox, email)
    request = portal.post("/portal/requests", json={"title": "Help"}, expect=201).json()
    job = agency_a.post(
        "/clients/import", json={"csv": f"Name\n{unique_name()}\n"}, expect=201
    ).json()

    for method, path, body in [
        ("GET", f"/clients/{client['id']}", None),
        ("PATCH", f"/clients/{client['id']}", {"name": "Stolen"}),
        ("POST", f"/clients/{client['id']}/archive", None),
        ("POST", f"/clients/{client['id']}/status", {"status": "inactive"}),
        ("GET", f"/clients/{client['id']}/logo", None),
        ("GET", f"/clients/{client['id']}/contacts", None),
        ("POST", f"/clients/{client['id']}/contacts", {"name": "X", "email": unique_email()}),
        ("GET", f"/contacts/{contact['id']}", None),
        ("PATCH", f"/contacts/{contact['id']}", {"name": "Stolen"}),
        ("POST", f"/contacts/{contact['id']}/invitation", {}),
        ("DELETE", f"/contacts/{contact['id']}/invitation", None),
        ("POST", f"/contacts/{contact['id']}/archive", None),
        ("POST", f"/contacts/{contact['id']}/restore", None),
        ("POST", "/requests", {"client_id": client["id"], "title": "Mine now"}),
        ("GET", f"/clients/{client['id']}/vault", None),
        ("POST", f"/clients/{client['id']}/vault", {"label": "Mine now"}),
        ("POST", f"/clients/{client['id']}/vault/{entry['id']}/reveal", None),
        ("PATCH", f"/requests/{request['id']}", {"status": "done"}),
        ("GET", f"/clients/import/{job['id']}", None),
        ("GET", f"/requests?client_id={client['id']}", None),
        ("GET", f"/contacts?client_id={client['id']}", None),
    ]:
        answer = agency_b.request(method, path, json=body)
        assert_error(answer, 404, "not_found")

    assert agency_b.get("/clients", expect=200).json()["total"] == 0
    assert agency_b.get("/contacts", expect=200).json()["total"] == 0
    assert agency_b.get("/requests", expect=200).json()["total"] == 0
    assert agency_b.get("/vault/reveals", expect=200).json()["items"] == []
    moved = agency_b.post(
        "/contacts", json={"name": "Y", "email": unique_email(), "client_id": client["id"]}
    )
    assert_error(moved, 404)
    assert agency_a.get(f"/clients/{client['id']}", expect=200).json()["name"] == client["name"]


def test_clients_are_filtered_on_a_custom_field(new_agency):
    owner = new_agency()
    tier = owner.post(
        "/custom-fields",
        json={"name": "Tier", "type": "choice", "choices": ["gold", "silver"]},
        expect=201,
    ).json()
    gold = make_client(owner, custom_fields={tier["id"]: "gold"})
    make_client(owner, custom_fields={tier["id"]: "silver"})
    found = owner.get("/clients", params={"field": tier["id"], "value": "gold"}, expect=200).json()
    assert [c["id"] for c in found["items"]] == [gold["id"]]


def test_every_clients_list_answers_one_page_in_the_shared_shape(new_agency):
    owner = new_agency()
    client = make_client(owner, tags=["retail", "vip"])
    for label in ("CMS", "FTP"):
        body = {"label": label, "password": "pw"}
        entry = owner.post(f"/clients/{client['id']}/vault", json=body, expect=201).json()
        owner.post(f"/clients/{client['id']}/vault/{entry['id']}/reveal", expect=200)
    for name in ("Tier", "Region"):
        owner.post("/custom-fields", json={"name": name, "type": "text"}, expect=201)

    lists = ("/tags", "/custom-fields", f"/clients/{client['id']}/vault", "/vault/reveals")
    for path in lists:
        whole = owner.get(path, expect=200).json()
        assert set(whole) == {"items", "total", "page", "per_page"}, path
        assert whole["total"] == len(whole["items"]) == 2, path
        second = owner.get(path, params={"page": 2, "per_page": 1}, expect=200).json()
        assert second["items"] == whole["items"][1:], path
        assert (second["total"], second["page"], second["per_page"]) == (2, 2, 1), path


def test_a_malformed_id_in_a_body_is_an_error_on_that_field(new_agency):
    owner = new_agency()
    client = make_client(owner)

    logged = owner.post("/requests", json={"client_id": "nope", "title": "A page"})
    assert assert_error(logged, 422)["fields"] == {"client_id": ["Not a valid id."]}
    body = {"name": "Casey", "email": unique_email("casey"), "client_id": "nope"}
    assert "client_id" in assert_error(owner.post("/contacts", json=body), 422)["fields"]
    assert_error(owner.get("/clients/nope"), 404, "not_found")
    assert owner.get("/requests", expect=200).json()["total"] == 0
    assert owner.get(f"/clients/{client['id']}/contacts", expect=200).json()["total"] == 0
