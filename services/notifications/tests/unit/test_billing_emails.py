"""billing's invoice events become e-mails: a receipt, the failed-payment notices (agency and
client, with the card-update link) and a check client's invoice with its PDF attached."""

import base64
import uuid

from notifications import emails
from notifications.mail import compose

PUBLIC_URL = "https://app.example.test"
MAIL_FROM = "Agency Platform <no-reply@agency.local>"


def invoice_event(**fields):
    return {
        "event_id": str(uuid.uuid4()),
        "agency_id": str(uuid.uuid4()),
        "invoice_id": "inv-1",
        "number": 42,
        "client_id": str(uuid.uuid4()),
        "client_name": "Globex <Corp>",
        "payment_method": "card",
        "total": {"amount": 123456, "currency": "USD"},
        "issued_on": "2026-11-29",
        "due_on": "2026-12-13",
        "billing_contact": "Pat Payer",
        "billing_email": "pat@globex.test",
        **fields,
    }


def parts(email):
    message = compose(email, MAIL_FROM)
    return (
        message,
        message.get_body(("plain",)).get_content(),
        message.get_body(("html",)).get_content(),
    )


def test_a_receipt_goes_to_the_billing_contact():
    [email] = emails.invoice_paid(invoice_event(paid_method="card"), PUBLIC_URL)
    message, text, html = parts(email)
    assert email.to == "pat@globex.test" and "Pat Payer" in message["To"]
    assert message["Subject"] == "Receipt for invoice 42"
    assert "1,234.56 USD" in text and "1,234.56 USD" in html
    assert "Globex &lt;Corp&gt;" in html  # what people typed is escaped


def test_no_billing_contact_no_receipt():
    assert emails.invoice_paid(invoice_event(billing_email=None), PUBLIC_URL) == []


def test_a_failed_payment_reaches_the_billing_team_and_the_client_with_a_card_link():
    users = [
        {
            "email": "owner@agency.test",
            "name": "Olive",
            "status": "active",
            "is_owner": True,
            "role": {"id": "r-owner"},
        },
        {
            "email": "money@agency.test",
            "name": "Mo",
            "status": "active",
            "is_owner": False,
            "role": {"id": "r-billing"},
        },
        {
            "email": "gone@agency.test",
            "name": "Gone",
            "status": "inactive",
            "is_owner": False,
            "role": {"id": "r-billing"},
        },
        {
            "email": "staff@agency.test",
            "name": "Sam",
            "status": "active",
            "is_owner": False,
            "role": {"id": "r-staff"},
        },
    ]
    roles = [
        {"id": "r-owner", "permissions": []},
        {"id": "r-billing", "permissions": ["manage_billing", "view_billing"]},
        {"id": "r-staff", "permissions": ["view_clients"]},
    ]
    team = emails.billing_recipients(users, roles)
    assert [u["email"] for u in team] == ["owner@agency.test", "money@agency.test"]
    event = invoice_event(
        reason="Your card was declined.",
        card_update_token="tok-abc",
        card_update_expires_at="2026-12-06T05:00:00+00:00",
    )
    sent = emails.invoice_failed(event, team, PUBLIC_URL)
    assert [(e.template, e.to) for e in sent] == [
        ("invoice_failed_agency", "owner@agency.test"),
        ("invoice_failed_agency", "money@agency.test"),
        ("invoice_failed_client", "pat@globex.test"),
    ]
    _, agency_text, _ = parts(sent[0])
    assert "declined" in agency_text and f"{PUBLIC_URL}/billing/invoices/inv-1" in agency_text
    _, client_text, client_html = parts(sent[2])
    assert f"{PUBLIC_URL}/pay/card?token=tok-abc" in client_text
    assert "expires at 05:00 UTC on 6 Dec 2026" in client_text and "tok-abc" in client_html


def test_a_check_clients_invoice_is_mailed_with_its_pdf():
    pdf = {"filename": "invoice-42.pdf", "content_base64": base64.b64encode(b"%PDF-1.4 x").decode()}
    [email] = emails.invoice_issued(invoice_event(payment_method="check"), pdf, PUBLIC_URL)
    message, text, _ = parts(email)
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "invoice-42.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == b"%PDF-1.4 x"
    assert "Due by: 2026-12-13" in text
    # card invoices are charged instead, and no contact means no e-mail
    assert emails.invoice_issued(invoice_event(), pdf, PUBLIC_URL) == []
    no_contact = invoice_event(payment_method="check", billing_email="")
    assert emails.invoice_issued(no_contact, pdf, PUBLIC_URL) == []


def test_a_client_facing_email_carries_the_logo_as_an_inline_image_beside_its_pdf():
    logo = {"content_type": "image/png", "data_base64": base64.b64encode(b"\x89PNG-ish").decode()}
    brand = {"agency_name": "Blue Fox", "color": "#0066cc", "has_logo": True}
    pdf = {"filename": "invoice-42.pdf", "content_base64": base64.b64encode(b"%PDF-1.4").decode()}
    event = invoice_event(payment_method="check")
    [email] = emails.with_brand(emails.invoice_issued(event, pdf, PUBLIC_URL), brand, logo)
    message, _, html = parts(email)
    assert message.get_content_type() == "multipart/mixed"
    related = next(p for p in message.walk() if p.get_content_type() == "multipart/related")
    [image] = [p for p in related.iter_parts() if p.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<agency-logo>" and image.get_content() == b"\x89PNG-ish"
    assert 'src="cid:agency-logo"' in html and "Blue Fox" in html and "#0066cc" in html
    [attached] = list(message.iter_attachments())
    assert attached.get_filename() == "invoice-42.pdf"


def test_the_agencys_team_emails_and_a_bad_logo_stay_without_an_image():
    brand = {"agency_name": "Blue Fox", "color": "#0066cc", "has_logo": True}
    bad_logo = {"content_type": "image/svg+xml", "data_base64": "PHN2Zz4="}
    team = [{"email": "olive@bluefox.test", "name": "Olive", "role": {"permissions": []}}]
    event = invoice_event(card_update_token="tok", reason="declined")
    notices = emails.with_brand(emails.invoice_failed(event, team, PUBLIC_URL), brand, bad_logo)
    by_template = {email.template: email for email in notices}
    assert "brand" not in by_template["invoice_failed_agency"].context
    client = by_template["invoice_failed_client"]
    assert client.inline_images == () and client.context["brand"]["color"] == "#0066cc"
    assert "cid:" not in parts(client)[2]


def test_a_refused_stripe_key_tells_the_billing_team_where_to_enter_a_new_one():
    team = [
        {"email": "owner@agency.test", "name": "Olive", "is_owner": True},
        {"email": "Owner@agency.test", "name": "Olive again", "is_owner": True},
        {"email": "money@agency.test", "name": "Mo"},
    ]
    event = {"event_id": "e-1", "agency_id": "a-1", "secret_key_last4": "1234"}
    sent = emails.stripe_key_refused(event, team, PUBLIC_URL)
    assert [(e.template, e.to) for e in sent] == [
        ("stripe_key_refused", "owner@agency.test"),
        ("stripe_key_refused", "money@agency.test"),
    ]
    message, text, html = parts(sent[0])
    assert message["Subject"] == "Stripe refused your key: enter a new one"
    assert "ending in 1234" in text and "Nothing was charged." in text
    assert "not asked for a new card" in text
    assert f"{PUBLIC_URL}/settings/payments" in text and f"{PUBLIC_URL}/settings/payments" in html
