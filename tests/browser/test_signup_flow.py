"""A new agency's first minutes, in a browser: sign up, open the e-mailed link, log in, add a
user, log out; signing up again with the same address says the same and creates nothing."""

import re

from playwright.sync_api import expect

from tests.support.api import STRONG_PASSWORD, signup_token, unique_email


def fill_signup(page, email: str) -> None:
    page.goto("/signup")
    page.fill('[name="agency_name"]', "Browser Agency")
    page.fill('[name="owner_name"]', "Bea Browser")
    page.fill('[name="email"]', email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.click('[data-test="signup-submit"]')


def test_sign_up_log_in_add_a_user_and_log_out(page, mailbox):
    owner_email = unique_email("browser-owner")
    fill_signup(page, owner_email)
    expect(page.locator('[data-test="signup-sent"]')).to_contain_text(owner_email)
    page.goto(f"/signup/confirm?token={signup_token(mailbox, owner_email)}")
    page.click('[data-test="signup-confirm-submit"]')
    expect(page.locator('[data-test="logout"]')).to_be_visible()
    expect(page.get_by_text("Bea Browser").first).to_be_visible()
    # One welcome on the page (the heading) and one welcome e-mail, not two.
    expect(page.get_by_text("free trial starts today")).to_be_visible()
    assert page.get_by_text(re.compile("welcome", re.I)).count() <= 1
    mailbox.wait_for(owner_email, "Welcome to", timeout=20)
    assert len([m for m in mailbox.find(owner_email) if "welcome" in m.subject.lower()]) == 1

    page.click('[data-test="logout"]')
    expect(page).to_have_url(re.compile(r"/login"))

    page.fill('[name="email"]', owner_email)
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.click('[data-test="login-submit"]')
    expect(page.locator('[data-test="logout"]')).to_be_visible()

    page.goto("/users/")
    page.click('[data-test="add-user"]')
    member_email = unique_email("browser-member")
    page.fill('[name="name"]', "Max Member")
    page.fill('[name="email"]', member_email)
    page.select_option('[name="role_id"]', label="Member")
    page.fill('[name="password"]', STRONG_PASSWORD)
    page.click('[data-test="save-user"]')

    expect(page).to_have_url(re.compile(r"/users/?(\?.*)?$"))
    row = page.locator(f'[data-test="user-row"][data-email="{member_email}"]')
    expect(row).to_be_visible()
    expect(row).to_contain_text("Max Member")
    expect(row).to_contain_text("Member")
    expect(row.locator('[data-test="user-status"]')).to_have_text("Active")
    expect(row.locator('[data-test="invitation-pending"]')).to_have_text("Awaiting confirmation")

    page.click('[data-test="logout"]')
    expect(page).to_have_url(re.compile(r"/login"))
    # The new member confirms the address from the e-mail, and is signed in.
    link = mailbox.wait_for(member_email, "Confirm your address", timeout=20).first_url()
    page.goto(link)
    page.click('[data-test="confirm-address-submit"]')
    expect(page.locator('[data-test="logout"]')).to_be_visible()
    expect(page.get_by_text("Max Member").first).to_be_visible()
    page.click('[data-test="logout"]')
    page.goto("/users/")
    expect(page).to_have_url(re.compile(r"/login"))
    # Every page, stylesheet, script and font loaded (the assets come from the gateway itself).
    assert page.failed_responses == []


def test_signing_up_with_a_used_address_says_the_same_and_e_mails_its_owner(
    page, new_agency, mailbox
):
    owner = new_agency()
    fill_signup(page, owner.email)
    expect(page.locator('[data-test="signup-sent"]')).to_contain_text(owner.email)
    mailbox.wait_for(owner.email, "tried to sign up with your address", timeout=20)
    # The only link it ever got is the one its own signup sent.
    assert len(mailbox.find(owner.email, "finish signing up")) == 1
