"""Each event becomes the right e-mails, with links built from PUBLIC_URL; text and HTML parts
are both there and the HTML escapes what people typed."""

import uuid

import pytest

from notifications import emails
from notifications.mail import compose

PUBLIC_URL = "https://app.example.test/"
MAIL_FROM = "Agency Platform <no-reply@agency.local>"


def _parts(email):
    message = compose(email, MAIL_FROM)
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    return message, text, html


def user_event(**fields):
    """An identity event about the team user Ann, with `fields` added or replaced."""
    return {
        "event_id": str(uuid.uuid4()),
        "principal_id": str(uuid.uuid4()),
        "kind": "user",
        "email": "ann@example.com",
        "name": "Ann",
        **fields,
    }


def reset_event(**fields):
    return user_event(
        **{"reset_token": "tok-123", "expires_at": "2026-11-22T14:05:00+00:00", **fields}
    )


def test_user_password_reset_links_to_the_team_reset_page():
    [email] = emails.password_reset(reset_event(), PUBLIC_URL)
    message, text, html = _parts(email)
    link = "https://app.example.test/reset-password?token=tok-123"
    assert email.template == "password_reset" and email.to == "ann@example.com"
    assert message["To"] == "Ann <ann@example.com>"
    assert message["Subject"] == "Reset your password"
    assert link in text
    assert f'href="{link}"' in html
    assert "at 14:05 UTC on 22 Nov 2026" in text


def test_contact_password_reset_links_to_the_portal_reset_page():
    [email] = emails.password_reset(reset_event(kind="contact"), PUBLIC_URL)
    _, text, html = _parts(email)
    assert "https://app.example.test/portal/reset-password?token=tok-123" in text
    assert "client portal" in text and "client portal" in html


def test_password_reset_without_optional_fields_still_renders():
    event = reset_event()
    del event["name"], event["expires_at"], event["kind"]
    [email] = emails.password_reset(event, PUBLIC_URL)
    _, text, _ = _parts(email)
    assert text.startswith("Hello,\n")
    assert "/reset-password?token=tok-123" in text


def test_password_reset_without_an_email_is_a_malformed_event():
    with pytest.raises(emails.MalformedEvent):
        emails.password_reset(reset_event(email=""), PUBLIC_URL)


def test_user_created_with_a_token_is_an_invitation():
    event = {"email": "bo@example.com", "name": "Bo", "set_password_token": "inv/1+2"}
    [email] = emails.user_created(event, PUBLIC_URL)
    _, text, html = _parts(email)
    assert email.template == "user_invitation"
    # The token is URL-encoded in the link.
    assert "https://app.example.test/invitations/accept?token=inv%2F1%2B2" in text
    assert "invitations/accept?token=inv%2F1%2B2" in html


def test_user_created_without_a_token_is_a_welcome_with_the_login_url():
    event = {"email": "bo@example.com", "name": "Bo", "agency_name": "Acme"}
    [email] = emails.user_created(event, PUBLIC_URL)
    message, text, html = _parts(email)
    assert email.template == "user_welcome"
    assert message["Subject"] == "Welcome to Acme"
    assert "bo@example.com" in text and "https://app.example.test/login" in text
    assert 'href="https://app.example.test/login"' in html
    assert "token" not in text


def test_contact_invitation_escapes_the_agency_message_in_html_only():
    event = {
        "contact_name": "Cy <b>",
        "contact_email": "cy@client.test",
        "client_name": "Globex & Sons",
        "agency_name": "Acme",
        "invitation_token": "abc",
        "message": "Welcome!\n<script>alert(1)</script>",
    }
    [email] = emails.contact_invited(event, PUBLIC_URL)
    message, text, html = _parts(email)
    assert message["Subject"] == "Acme invited you to the client portal"
    assert "https://app.example.test/portal/invitations/accept?token=abc" in text
    assert "<script>alert(1)</script>" in text
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Welcome!<br>" in html
    assert "Globex &amp; Sons" in html and "Cy &lt;b&gt;" in html


def test_contact_invitation_reads_a_nested_contact_and_no_message():
    event = {"contact": {"name": "Cy", "email": "cy@client.test"}, "invitation_token": "abc"}
    [email] = emails.contact_invited(event, PUBLIC_URL)
    _, text, _ = _parts(email)
    assert email.to == "cy@client.test"
    assert "Their message" not in text


def test_request_created_goes_to_each_active_manager_once():
    managers = [
        {"id": "1", "name": "Mo", "email": "mo@agency.test", "status": "active"},
        {"id": "2", "name": "Ex", "email": "ex@agency.test", "status": "inactive"},
        {"id": "3", "name": "Mo again", "email": "MO@agency.test", "status": "active"},
        {"id": "4", "name": "No mail", "email": None, "status": "active"},
    ]
    event = {"client_name": "Globex", "title": "New logo", "description": "Bigger <please>"}
    notices = emails.request_created(event, managers, PUBLIC_URL)
    assert [n.to for n in notices] == ["mo@agency.test"]
    message, text, html = _parts(notices[0])
    assert message["Subject"] == "New request from Globex: New logo"
    assert "Bigger <please>" in text and "Bigger &lt;please&gt;" in html
    assert "https://app.example.test/requests" in text  # the inbox, or the request itself


def test_every_email_has_a_text_and_an_html_part_and_one_line_subject():
    cases = [
        emails.password_reset(reset_event(), PUBLIC_URL),
        emails.user_created({"email": "a@b.test", "set_password_token": "t"}, PUBLIC_URL),
        emails.user_created({"email": "a@b.test"}, PUBLIC_URL),
        emails.contact_invited({"email": "a@b.test", "invitation_token": "t"}, PUBLIC_URL),
        emails.request_created(
            {"title": "Line one\nline two"}, [{"email": "a@b.test"}], PUBLIC_URL
        ),
    ]
    for [email] in cases:
        message, text, html = _parts(email)
        assert message.is_multipart()
        assert "\n" not in message["Subject"]
        assert text.strip() and html.lstrip().startswith("<!DOCTYPE html>")
        assert "Agency Platform" in text and "Agency Platform" in html
        assert message["Message-ID"].endswith("@agency.local>")


def test_a_malformed_recipient_fails_before_sending():
    [email] = emails.user_created({"email": "not an address"}, PUBLIC_URL)
    with pytest.raises(ValueError):
        compose(email, MAIL_FROM)


def changed_event(**fields):
    defaults = {
        "agency_name": "Acme",
        "reason": "changed",
        "occurred_at": "2026-11-22T14:05:00+00:00",
    }
    return user_event(**{**defaults, **fields})


@pytest.mark.parametrize(
    ("reason", "sentence"),
    [
        ("reset", "It was changed with a password reset link sent to this address."),
        ("changed", "It was changed from the account's settings, with the old password."),
        ("set_by_admin", "An administrator of your agency set it for you."),
    ],
)
def test_password_changed_notice_says_when_and_how(reason, sentence):
    [email] = emails.password_changed(changed_event(reason=reason), PUBLIC_URL)
    message, text, html = _parts(email)
    assert email.template == "password_changed" and email.to == "ann@example.com"
    assert message["Subject"] == "Your password was changed"
    assert "at 14:05 UTC on 22 Nov 2026" in text and "at 14:05 UTC on 22 Nov 2026" in html
    assert sentence in text and sentence.replace("'", "&#39;") in html
    assert "If this wasn't you" in text
    assert "https://app.example.test/forgot-password" in text
    assert 'href="https://app.example.test/forgot-password"' in html


def test_password_changed_notice_without_a_known_reason_or_time_still_renders():
    event = changed_event(reason="something_new")
    del event["occurred_at"], event["name"]
    [email] = emails.password_changed(event, PUBLIC_URL)
    _, text, _ = _parts(email)
    assert text.startswith("Hello,\n")
    assert "was changed.\n" in text
    assert not any(s in text for s in emails.PASSWORD_CHANGE_REASONS.values())


def test_a_contacts_password_notice_points_to_the_portal_forgot_password_page():
    [email] = emails.password_changed(changed_event(kind="contact"), PUBLIC_URL)
    message, text, _ = _parts(email)
    assert message["Subject"] == "Your client portal password was changed"
    assert "https://app.example.test/portal/forgot-password" in text


def test_agency_welcome_names_the_agency_the_trial_end_and_the_login_page():
    event = {
        "event_id": str(uuid.uuid4()),
        "agency_name": "Acme <Studio>",
        "user_id": str(uuid.uuid4()),
        "name": "Olive",
        "email": "olive@example.com",
        "plan": "starter",
        "trial_ends_at": "2026-12-06T10:00:00+00:00",
    }
    [email] = emails.agency_signed_up(event, PUBLIC_URL)
    message, text, html = _parts(email)
    assert email.template == "agency_welcome" and message["To"] == "Olive <olive@example.com>"
    assert message["Subject"] == "Welcome to Agency Platform, Acme <Studio>"
    assert "Acme <Studio> is set up" in text and "Acme &lt;Studio&gt;" in html
    assert "until 6 Dec 2026" in text and "6 Dec 2026" in html
    assert "https://app.example.test/login" in text
    assert 'href="https://app.example.test/login"' in html


def test_an_event_without_an_address_is_kept_as_malformed():
    with pytest.raises(emails.MalformedEvent):
        emails.agency_signed_up({"agency_name": "Acme"}, PUBLIC_URL)
    with pytest.raises(emails.MalformedEvent):
        emails.password_changed({"reason": "reset"}, PUBLIC_URL)


def test_password_changed_notice_says_the_api_tokens_were_revoked():
    [email] = emails.password_changed(changed_event(reason="reset", tokens_revoked=2), PUBLIC_URL)
    _, text, html = _parts(email)
    for part in (text, html):
        assert "Every session of this account was ended and its 2 API tokens revoked" in part
    [kept] = emails.password_changed(changed_event(tokens_revoked=0), PUBLIC_URL)
    assert "API token" not in _parts(kept)[1]


def test_a_signup_link_and_an_existing_account_notice_render():
    [confirm] = emails.signup_requested(
        user_event(
            confirm_token="tok-1", agency_name="Newco", expires_at="2026-11-23T14:05:00+00:00"
        ),
        PUBLIC_URL,
    )
    _, text, html = _parts(confirm)
    assert "https://app.example.test/signup/confirm?token=tok-1" in text
    assert 'href="https://app.example.test/signup/confirm?token=tok-1"' in html
    [notice] = emails.signup_existing_account(user_event(), PUBLIC_URL)
    message, text, _ = _parts(notice)
    assert message["Subject"] == "Someone tried to sign up with your address"
    assert "https://app.example.test/forgot-password" in text and "token" not in text


def test_a_funding_request_mails_the_customer_its_single_use_link():
    [email] = emails.funding_request_sent(
        {
            "event_id": str(uuid.uuid4()),
            "email": "pay@globex.test",
            "client_name": "Globex",
            "starting_balance": {"amount": 5000, "currency": "USD"},
            "message": "Please <fund> it",
            "token": "tok-9",
            "expires_at": "2026-12-01T10:00:00+00:00",
        },
        PUBLIC_URL,
    )
    message, text, html = _parts(email)
    assert email.to == "pay@globex.test"
    assert "https://app.example.test/fund?token=tok-9" in text
    assert "50.00 USD" in text and "Globex" in message["Subject"]
    assert "&lt;fund&gt;" in html and "<fund>" not in html


def test_balance_notices_go_to_the_agencys_active_owners_only():
    team = [
        {"email": "own@a.test", "name": "Own", "is_owner": True, "status": "active"},
        {"email": "gone@a.test", "name": "Gone", "is_owner": True, "status": "inactive"},
        {"email": "mem@a.test", "name": "Mem", "is_owner": False, "status": "active"},
    ]
    low = {
        "event_id": str(uuid.uuid4()),
        "event_type": "balance_low",
        "account": "agency",
        "balance": {"amount": 1999, "currency": "USD"},
        "threshold": {"amount": 2500, "currency": "USD"},
    }
    [email] = emails.balance_notice(low, team, PUBLIC_URL)
    message, text, _ = _parts(email)
    assert email.to == "own@a.test" and "balance is low" in message["Subject"]
    assert "19.99 USD" in text and "25.00 USD" in text
    exhausted = {
        "event_id": str(uuid.uuid4()),
        "event_type": "balance_exhausted",
        "funded_by": "customer",
        "client_name": "Globex",
        "balance": {"amount": 0, "currency": "USD"},
        "refused": {"amount": 300, "currency": "USD"},
    }
    [email] = emails.balance_notice(exhausted, team, PUBLIC_URL)
    message, text, _ = _parts(email)
    assert "Usage paused" in message["Subject"] and "paused until the next top-up" in text


def comment_event(**fields):
    """A clients `request_comment_added` event, with `fields` added or replaced."""
    return {
        "event_id": str(uuid.uuid4()),
        "client_request_id": "r-1",
        "client_name": "Globex",
        "title": "New <logo>",
        "author_name": "Mo",
        "author_kind": "user",
        "contact_name": "Cy",
        "contact_email": "cy@client.test",
        "attachment_count": 2,
        **fields,
    }


def test_a_team_reply_tells_the_requests_contact_with_a_portal_link_and_no_comment_text():
    [email] = emails.request_reply(comment_event(body="secret text"), PUBLIC_URL)
    message, text, html = _parts(email)
    assert email.to == "cy@client.test"
    assert message["Subject"] == "New reply on your request: New <logo>"
    assert "https://app.example.test/portal/requests/r-1" in text
    assert "With 2 files." in text and "New &lt;logo&gt;" in html
    assert "secret text" not in text + html
    assert emails.request_reply(comment_event(contact_email=None), PUBLIC_URL) == []


def test_a_clients_comment_tells_the_active_team_members_given_with_a_team_link():
    users = [
        {"id": "1", "name": "Mo", "email": "mo@agency.test", "status": "active"},
        {"id": "2", "name": "Ex", "email": "ex@agency.test", "status": "inactive"},
    ]
    event = comment_event(author_kind="contact", author_name="Cy")
    [email] = emails.request_comment(event, users, PUBLIC_URL)
    message, text, _ = _parts(email)
    assert email.to == "mo@agency.test"
    assert message["Subject"] == "Cy commented on New <logo>"
    assert "https://app.example.test/requests/r-1" in text


def test_a_status_change_tells_the_requests_contact_in_words():
    event = comment_event(status="in_progress", old_status="open")
    [email] = emails.request_status_changed(event, PUBLIC_URL)
    message, text, _ = _parts(email)
    assert message["Subject"] == "Your request is in progress: New <logo>"
    assert "https://app.example.test/portal/requests/r-1" in text


def test_an_assignment_tells_the_assignee_unless_they_assigned_it_themselves():
    mo = {"id": "1", "name": "Mo", "email": "mo@agency.test", "status": "active"}
    event = comment_event(assignee_id="1", assigned_by="2")
    [email] = emails.request_assigned(event, [mo], PUBLIC_URL)
    message, text, _ = _parts(email)
    assert message["Subject"] == "Assigned to you: New <logo>"
    assert "https://app.example.test/requests/r-1" in text
    assert emails.request_assigned({**event, "assigned_by": "1"}, [mo], PUBLIC_URL) == []
