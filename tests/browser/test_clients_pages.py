"""The Clients tab and the client portal in a browser: add a client with a logo, import a CSV
through the pages (background job with a progress bar), and a contact's first portal login."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from kit.testing import png_bytes
from tests.support.api import STRONG_PASSWORD, unique_email
from tests.support.clients import invitation_token

pytestmark = pytest.mark.browser


def log_in(page, owner) -> None:
    page.goto("/login")
    page.fill('[name="email"]', owner.email)
    page.fill('[name="password"]', owner.password)
    page.click('[data-test="login-submit"]')
    expect(page.locator('[data-test="logout"]')).to_be_visible()


def test_add_a_client_with_a_logo_then_archive_it(page, new_agency, tmp_path):
    owner = new_agency()
    logo = tmp_path / "logo.png"
    logo.write_bytes(png_bytes(16, 16))
    name = f"Browser Client {uuid.uuid4().hex[:6]}"
    log_in(page, owner)

    page.click("nav >> text=Clients")
    page.click('[data-test="add-client"]')
    page.fill('[name="name"]', name)
    page.fill('[name="website"]', "browser.example.com")
    page.fill('[name="description"]', "Found through the browser test")
    page.fill('[name="tags"]', "retail, vip")
    page.check(f'[name="account_manager_ids"][value="{owner.user["principal_id"]}"]')
    page.set_input_files('[name="logo"]', str(logo))
    page.click('[data-test="save-client"]')

    expect(page.locator('[data-test="client-name"]')).to_have_text(name)
    image = page.locator('img[data-test="client-logo"]')
    expect(image).to_be_visible()
    # Visible is not loaded: wait for the image itself to be decoded.
    page.wait_for_function(
        "img => img.complete && img.naturalWidth === 16", arg=image.element_handle()
    )
    expect(page.get_by_text("https://browser.example.com")).to_be_visible()
    expect(page.locator("main").get_by_text("Olive Owner")).to_be_visible()

    page.goto("/clients/?q=" + name.split()[-1])
    expect(page.locator('[data-test="clients-table"]')).to_contain_text(name)

    page.goto("/clients/")
    page.click(f"text={name}")
    page.on("dialog", lambda dialog: dialog.accept())
    page.click('[data-test="archive-client"]')
    expect(page).to_have_url(re.compile(r"/clients/?$"))
    expect(page.get_by_text("was archived")).to_be_visible()
    expect(page.get_by_role("link", name=name)).to_have_count(0)
    assert page.failed_responses == []


def test_import_clients_from_csv_through_the_pages(page, new_agency, tmp_path):
    owner = new_agency()
    prefix = uuid.uuid4().hex[:6]
    csv = tmp_path / "clients.csv"
    csv.write_text(
        "Company,Website,Tags\n"
        f"Alpha {prefix},alpha.example.com,retail\n"
        ",nameless.example.com,\n"
        f'Beta {prefix},beta.example.com,"retail,vip"\n'
    )
    log_in(page, owner)

    page.goto("/clients/")
    page.click('[data-test="bulk-clients"]')
    page.set_input_files('[name="file"]', str(csv))
    page.click('[data-test="upload"]')

    expect(page.locator('[data-test="row-count"]')).to_contain_text("3 rows")
    expect(page.locator("#map_0")).to_have_value("name")
    expect(page.locator('[data-test="preview-rows"]')).to_contain_text(f"Alpha {prefix}")
    expect(page.locator('[data-test="preview-errors"]')).to_contain_text("Line 3")
    page.click('[data-test="start-import"]')

    expect(page.locator('[data-test="import-summary"]')).to_be_visible()
    expect(page.locator('[data-test="imported"]')).to_have_text("2")
    expect(page.locator('[data-test="error-count"]')).to_have_text("1")
    expect(page.locator('[data-test="import-errors"]')).to_contain_text("Line 3")

    page.goto("/clients/?tag=vip")
    expect(page.locator('[data-test="clients-table"]')).to_contain_text(f"Beta {prefix}")
    expect(page.locator('[data-test="clients-table"]')).not_to_contain_text(f"Alpha {prefix}")
    assert page.failed_responses == []


def test_a_large_contacts_import_runs_in_the_background_behind_a_progress_bar(
    page, new_agency, tmp_path
):
    owner = new_agency()
    client = f"Bulk Co {uuid.uuid4().hex[:6]}"
    # More rows than the service imports within the call: it becomes a background job.
    rows = [f"Person {n:04d},{unique_email(f'bulk{n}')},{client}" for n in range(700)]
    rows[9] = "Nobody,not-an-email," + client  # line 11 of the file
    csv = tmp_path / "contacts.csv"
    csv.write_text("Name,Email,Client\n" + "\n".join(rows) + "\n")
    log_in(page, owner)

    page.goto("/contacts/import")
    page.set_input_files('[name="file"]', str(csv))
    page.click('[data-test="upload"]')
    expect(page.locator('[data-test="row-count"]')).to_contain_text("700 rows")
    page.click('[data-test="start-import"]')

    expect(page).to_have_url(re.compile(r"/contacts/import/[0-9a-f-]+$"))
    expect(page.locator('[data-test="import-summary"]')).to_be_visible(timeout=90_000)
    expect(page.locator('[data-test="imported"]')).to_have_text("699")
    expect(page.locator('[data-test="import-errors"]')).to_contain_text("Line 11")
    found = owner.get("/contacts", params={"q": client, "per_page": 1}, expect=200).json()
    assert found["total"] == 699
    assert page.failed_responses == []


def test_contact_accepts_the_invitation_and_uses_the_portal(page, new_agency, mailbox):
    owner = new_agency()
    mine = owner.post(
        "/clients",
        json={"name": f"Portal Co {uuid.uuid4().hex[:6]}", "description": "Our own shop"},
        expect=201,
    ).json()
    theirs = owner.post(
        "/clients", json={"name": f"Other Co {uuid.uuid4().hex[:6]}"}, expect=201
    ).json()
    email = unique_email("browser-portal")
    owner.post(
        "/contacts",
        json={"name": "Paula Portal", "email": email, "client_id": mine["id"], "invite": True},
        expect=201,
    )
    token = invitation_token(mailbox, email)

    page.goto(f"/portal/invitations/accept?token={token}")
    expect(page.locator('[data-test="invited-client"]')).to_have_text(mine["name"])
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.fill('[name="password_confirm"]', STRONG_PASSWORD + "x")
    page.click('[data-test="accept-form"] button')
    expect(page.get_by_text("The two passwords differ")).to_be_visible()
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.fill('[name="password_confirm"]', STRONG_PASSWORD)
    page.click('[data-test="accept-form"] button')

    expect(page).to_have_url(re.compile(r"/portal/?$"))
    expect(page.locator('[data-test="portal-client-name"]')).to_have_text(mine["name"])
    page.click('[data-test="portal-logout"]')
    expect(page).to_have_url(re.compile(r"/portal/login"))

    page.fill('[name="email"]', email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.click('[data-test="portal-login"] button')
    expect(page.locator('[data-test="portal-client-name"]')).to_have_text(mine["name"])
    page.click('[data-test="new-request"]')
    page.fill('[name="title"]', "Refresh our logo")
    page.fill('[name="description"]', "Something brighter")
    page.click('[data-test="request-form"] button')
    expect(page.locator('[data-test="portal-requests"]')).to_contain_text("Refresh our logo")
    expect(page.locator("main")).not_to_contain_text(theirs["name"])

    # Team pages are not for a portal login.
    answer = page.goto(f"/clients/{theirs['id']}")
    assert answer.status == 403
    page.click('[data-test="back-to-portal"]')
    expect(page.locator('[data-test="portal-client-name"]')).to_have_text(mine["name"])
    requests = owner.get("/requests", params={"client_id": mine["id"]}, expect=200).json()
    assert [r["title"] for r in requests["items"]] == ["Refresh our logo"]


def test_contacts_vault_custom_fields_and_invitations_pages(page, new_agency, mailbox):
    owner = new_agency()
    log_in(page, owner)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto("/clients/custom-fields")
    page.fill('[name="name"]', "Size")
    page.select_option('[name="type"]', "choice")
    page.fill('[name="choices"]', "Small, Large")
    page.click('[data-test="custom-field-form"] button')
    expect(page.locator('[data-test="custom-fields"]')).to_contain_text("Small, Large")

    page.click("nav >> text=Contacts")
    page.click('[data-test="add-contact"]')
    page.select_option('[data-test="client-select"]', "__new__")
    page.fill('[name="new_client"]', "Inline Client")
    page.fill('[name="name"]', "Ivy Inline")
    email = unique_email("inline")
    page.fill('[name="email"]', email)
    page.fill('[name="position"]', "Founder")
    page.check('[data-test="invite"]')
    page.fill('[name="invitation_message"]', "Welcome to our portal")
    page.click('[data-test="save-contact"]')
    expect(page.locator('[data-test="contact-name"]')).to_have_text("Ivy Inline")
    expect(page.locator('[data-test="portal-status"]')).to_have_text("Invited")
    assert "Welcome to our portal" in mailbox.wait_for(email, "client portal").text

    page.goto("/invitations/")
    expect(page.locator('[data-test="invitations"]')).to_contain_text("Ivy Inline")
    page.click('[data-test="cancel"]')
    expect(page.locator(".alert-success")).to_contain_text("cancelled")
    expect(page.locator('[data-test="invitations"]')).to_have_count(0)

    page.goto("/contacts/?q=founder")
    expect(page.locator('[data-test="contacts-table"]')).to_contain_text("Inline Client")
    page.locator('[data-test="contacts-table"]').get_by_role("link", name="Inline Client").click()
    page.click('[data-test="tab-vault"]')
    form = page.locator('[data-test="vault-form"]')
    form.locator('[name="label"]').fill("Analytics")
    form.locator('[name="username"]').fill("ivy@inline.test")
    form.locator('[name="password"]').fill("hunter2-Secret")
    form.locator("button").click()
    expect(page.locator('[data-test="vault-entries"]')).to_contain_text("Analytics")
    expect(page.locator("main")).not_to_contain_text("hunter2-Secret")
    page.click('[data-test="reveal"]')
    expect(page.locator('[data-test="revealed-password"]')).to_have_text("hunter2-Secret")
    page.goto("/clients/vault/reveals")
    expect(page.locator('[data-test="reveals"]')).to_contain_text("Analytics")
    expect(page.locator('[data-test="reveals"]')).to_contain_text("Olive Owner")
    assert page.failed_responses == []


def test_log_a_request_for_a_client_then_delete_and_restore_a_contact(page, new_agency):
    owner = new_agency()
    client = owner.post(
        "/clients", json={"name": f"Request Co {uuid.uuid4().hex[:6]}"}, expect=201
    ).json()
    contact = owner.post(
        f"/clients/{client['id']}/contacts",
        json={"name": "Rita Request", "email": unique_email("rita")},
        expect=201,
    ).json()
    log_in(page, owner)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"/clients/{client['id']}?tab=requests")
    page.click('[data-test="new-request"]')
    page.select_option('[data-test="request-contact"]', contact["id"])
    page.fill('[name="title"]', "Quarterly review")
    page.fill('[name="description"]', "Logged by phone")
    page.click('[data-test="save-request"]')
    expect(page.locator('[data-test="client-requests"]')).to_contain_text("Quarterly review")
    expect(page.locator('[data-test="client-requests"]')).to_contain_text("Rita Request")

    page.goto(f"/contacts/{contact['id']}")
    page.click('[data-test="archive-contact"]')
    expect(page.get_by_text("was archived")).to_be_visible()
    expect(page.get_by_role("link", name="Rita Request")).to_have_count(0)
    page.goto(f"/contacts/{contact['id']}")
    expect(page.locator('[data-test="contact-archived"]')).to_be_visible()
    page.click('[data-test="restore-contact"]')
    expect(page.get_by_text("was restored")).to_be_visible()
    expect(page.locator('[data-test="archive-contact"]')).to_be_visible()

    page.goto("/invitations/?status=cancelled")
    expect(page.locator('[data-test="total"]')).to_have_text("0 in all")
    assert page.failed_responses == []


def test_a_client_among_many_is_found_by_typing_a_few_letters(page, new_agency):
    owner = new_agency()
    for number in range(1, 15):
        owner.post("/clients", json={"name": f"Client {number:02d}"}, expect=201)
    zephyr = owner.post("/clients", json={"name": "Zephyr Works"}, expect=201).json()
    log_in(page, owner)

    page.goto("/contacts/new")
    page.fill('[data-narrows="client_id"]', "zeph")
    select = page.locator('[data-test="client-select"]')
    expect(select).to_have_value(zephyr["id"])
    # what is left: the empty choice, Zephyr Works, "Create a new client"
    expect(select.locator("option:not([hidden])")).to_have_count(3)
    page.fill('[name="name"]', "Zoe Zephyr")
    page.fill('[name="email"]', unique_email("zoe"))
    page.click('[data-test="save-contact"]')
    expect(page.locator('[data-test="contact-name"]')).to_have_text("Zoe Zephyr")
    expect(page.locator("main").get_by_role("link", name="Zephyr Works")).to_be_visible()

    page.goto("/contacts/")
    page.fill('[data-narrows="client_id"]', "works")
    page.click('[data-test="search"]')
    expect(page).to_have_url(re.compile(f"client_id={zephyr['id']}"))
    expect(page.locator('[data-test="contacts-table"]')).to_contain_text("Zoe Zephyr")
    assert page.failed_responses == []
