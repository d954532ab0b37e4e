"""With the real identity service: what it publishes becomes the right e-mail, and a request's
account managers are looked up through its `users_by_ids`."""

import base64
import time
import uuid

import pytest
from nameko.standalone.rpc import ServiceRpcProxy
from notification_helpers import PUBLIC_URL, text_of, wait_for
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kit import testing as kit_testing
from kit.context import Context
from kit.migrate import upgrade

identity_service = pytest.importorskip("identity.service")

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="session")
def identity_db_url():
    """identity's schema in a database of these tests' own (identity's tests use `_test`)."""
    url = make_url(kit_testing.database_url_for_tests("identity"))
    url = url.set(database=f"{url.database}_for_notifications")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()
    rendered = url.render_as_string(hide_password=False)
    upgrade("identity", rendered)
    return rendered


@pytest.fixture
def identity(container_factory, rabbit_config, identity_db_url, notifications):
    # Not emptied between tests: the migrations seed its plans. Each test uses its own e-mails.
    config = kit_testing.service_config("identity", rabbit_config, identity_db_url, max_workers=4)
    container_factory(identity_service.IdentityService, config).start()
    with ServiceRpcProxy("identity", config, timeout=10) as proxy:
        yield proxy


def unique(address: str) -> str:
    """`address` made unique to this run, as identity refuses an e-mail twice."""
    local, domain = address.split("@")
    return f"{local}+{uuid.uuid4().hex[:8]}@{domain}"


def subjected(messages, subject: str) -> list:
    return [m for m in messages if m["Subject"] == subject]


def signup(identity, email):
    anonymous = Context(agency_id=None).to_dict()
    result = identity.signup(anonymous, "Acme", "Ann Owner", email, PASSWORD)
    principal = result["principal"]
    ctx = Context(
        agency_id=principal["agency_id"],
        principal_id=principal["principal_id"],
        permissions=frozenset(principal["permissions"]),
    ).to_dict()
    return principal, ctx


def test_a_refused_stripe_key_reaches_the_owner_and_billing_managers_once(identity, dispatch, smtp):
    owner_email, mo_email = unique("owner@acme.test"), unique("mo@acme.test")
    owner, ctx = signup(identity, owner_email)
    role = next(
        r
        for r in identity.list_roles(ctx)
        if "manage_billing" in r["permissions"] and r["name"] != "Owner"
    )
    identity.create_user(ctx, "Mo Money", mo_email, role["id"], password=PASSWORD)
    wait_for(lambda: smtp.to(mo_email))  # the link to confirm the address
    event = {
        "event_id": str(uuid.uuid4()),
        "agency_id": owner["agency_id"],
        "secret_key_last4": "1234",
        "refused_at": "2026-11-29T12:00:00+00:00",
    }
    dispatch("billing", "stripe_key_refused", event)
    dispatch("billing", "stripe_key_refused", event)  # delivered again: sent once
    subject = "Stripe refused your key: enter a new one"
    wait_for(
        lambda: subjected(smtp.to(owner_email), subject) and subjected(smtp.to(mo_email), subject)
    )
    time.sleep(1)  # a second e-mail would have arrived by now
    assert len(subjected(smtp.to(owner_email), subject)) == 1
    (told,) = subjected(smtp.to(mo_email), subject)
    assert "Mo Money" in text_of(told) and f"{PUBLIC_URL}/settings/payments" in text_of(told)


def test_identity_password_reset_reaches_the_user(identity, smtp):
    owner_email = unique("owner@acme.test")
    signup(identity, owner_email)
    identity.request_password_reset(Context(agency_id=None).to_dict(), owner_email)
    [message] = wait_for(lambda: subjected(smtp.to(owner_email), "Reset your password"))
    assert f"{PUBLIC_URL}/reset-password?token=" in text_of(message)


def test_identity_user_invitation_reaches_the_new_user(identity, smtp):
    _, ctx = signup(identity, unique("owner@acme.test"))
    role = next(r for r in identity.list_roles(ctx) if r["name"] == "Manager")
    bo = unique("bo@acme.test")
    identity.create_user(ctx, "Bo Manager", bo, role["id"], send_invitation=True)
    [message] = wait_for(lambda: smtp.to(bo))
    body = text_of(message)
    assert f"{PUBLIC_URL}/invitations/accept?token=" in body
    assert "Ann Owner has invited you to join Acme" in body and "as Manager" in body


def test_request_created_emails_active_managers_found_through_identity(identity, dispatch, smtp):
    owner, ctx = signup(identity, unique("owner@acme.test"))
    role = next(r for r in identity.list_roles(ctx) if r["name"] == "Manager")
    mo_email, ina_email = unique("mo@acme.test"), unique("ina@acme.test")
    mo = identity.create_user(ctx, "Mo Manager", mo_email, role["id"], password=PASSWORD)
    ina = identity.create_user(ctx, "Ina Gone", ina_email, role["id"], password=PASSWORD)
    identity.deactivate_user(ctx, ina["id"])
    # Users given a password get a link to confirm their address first (Ina, never confirmed,
    # hears nothing of her deactivation: the address may not be hers).
    wait_for(lambda: smtp.to(mo_email) and smtp.to(ina_email))

    dispatch(
        "clients",
        "request_created",
        {
            "event_id": str(uuid.uuid4()),
            "agency_id": owner["agency_id"],
            "client_name": "Globex",
            "title": "Spring campaign",
            "description": "Three banners.",
            "account_manager_ids": [mo["id"], ina["id"], str(uuid.uuid4())],
        },
    )
    wait_for(lambda: len(smtp.to(mo_email)) == 2)
    subjects = [m["Subject"] for m in smtp.to(mo_email)]
    welcome = "Confirm your address to join Acme"
    assert subjects == [welcome, "New request from Globex: Spring campaign"]
    assert [m["Subject"] for m in smtp.to(ina_email)] == [welcome]


def test_a_new_agencys_owner_gets_a_welcome_with_the_trial_end(identity, smtp):
    owner_email = unique("owner@acme.test")
    signup(identity, owner_email)
    [message] = wait_for(
        lambda: subjected(smtp.to(owner_email), "Welcome to Agency Platform, Acme")
    )
    body = text_of(message)
    assert "Acme is set up on Agency Platform" in body
    assert "Your free trial runs until " in body
    assert f"{PUBLIC_URL}/login" in body


def test_a_changed_password_sends_a_security_notice(identity, smtp):
    owner_email = unique("owner@acme.test")
    _, ctx = signup(identity, owner_email)
    identity.change_password(ctx, PASSWORD, "another long secret 43")
    [message] = wait_for(lambda: subjected(smtp.to(owner_email), "Your password was changed"))
    body = text_of(message)
    assert "It was changed from the account's settings, with the old password." in body
    assert "If this wasn't you" in body and f"{PUBLIC_URL}/forgot-password" in body


def test_a_clients_comment_goes_to_the_assignee_else_to_who_manages_client_requests(
    identity, dispatch, smtp
):
    owner, ctx = signup(identity, unique("owner@acme.test"))
    roles = {r["name"]: r["id"] for r in identity.list_roles(ctx)}
    max_email, mia_email = unique("max@acme.test"), unique("mia@acme.test")
    identity.create_user(ctx, "Max Manager", max_email, roles["Manager"], password=PASSWORD)
    mia = identity.create_user(ctx, "Mia Member", mia_email, roles["Member"], password=PASSWORD)
    wait_for(lambda: smtp.to(max_email) and smtp.to(mia_email))  # their welcomes
    comment = {
        "agency_id": owner["agency_id"],
        "client_request_id": str(uuid.uuid4()),
        "client_name": "Globex",
        "title": "Spring campaign",
        "author_kind": "contact",
        "author_name": "Cy",
        "account_manager_ids": [],
    }
    subject = "Cy commented on Spring campaign"
    # nobody assigned, no account manager: the team members whose role manages client requests
    dispatch("clients", "request_comment_added", {**comment, "event_id": str(uuid.uuid4())})
    wait_for(lambda: subjected(smtp.to(max_email), subject))
    wait_for(lambda: subjected(smtp.to(owner["email"]), subject))
    assert subjected(smtp.to(mia_email), subject) == []
    # assigned: the assignee alone
    dispatch(
        "clients",
        "request_comment_added",
        {**comment, "event_id": str(uuid.uuid4()), "assignee_id": mia["id"]},
    )
    [message] = wait_for(lambda: subjected(smtp.to(mia_email), subject))
    assert f"{PUBLIC_URL}/requests/{comment['client_request_id']}" in text_of(message)
    assert len(subjected(smtp.to(max_email), subject)) == 1


def paid_event(agency_id: str, billing_email: str) -> dict:
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "invoice_paid",
        "agency_id": agency_id,
        "request_id": uuid.uuid4().hex,
        "occurred_at": "2026-11-29T10:00:00+00:00",
        "invoice_id": str(uuid.uuid4()),
        "number": 7,
        "client_id": str(uuid.uuid4()),
        "client_name": "Globex",
        "payment_method": "card",
        "total": {"amount": 4500, "currency": "USD"},
        "issued_on": "2026-11-29",
        "due_on": "2026-12-13",
        "paid_method": "card",
        "billing_contact": "Pat Payer",
        "billing_email": billing_email,
    }


def test_an_invoice_receipt_wears_the_agencys_logo_inline_and_its_colour(identity, dispatch, smtp):
    _, ctx = signup(identity, unique("brand-owner@acme.test"))
    identity.update_agency(ctx, name="Blue Fox Studio", brand_color="#0066cc")
    identity.set_agency_logo(ctx, kit_testing.png())
    payer = unique("pat@globex.test")
    dispatch("billing", "invoice_paid", paid_event(ctx["agency_id"], payer))
    [message] = wait_for(lambda: smtp.to(payer))

    related = next(
        part for part in message.walk() if part.get_content_type() == "multipart/related"
    )
    html = related.get_body(("html",)).get_content()
    [logo] = [part for part in related.iter_parts() if part.get_content_maintype() == "image"]
    assert logo["Content-ID"] == "<agency-logo>"
    assert logo.get_content() == base64.b64decode(kit_testing.png())
    assert 'src="cid:agency-logo"' in html
    assert "Blue Fox Studio" in html and "#0066cc" in html

    identity.set_agency_logo(ctx, None)  # no logo: name and colour only
    other = unique("pat@globex.test")
    dispatch("billing", "invoice_paid", paid_event(ctx["agency_id"], other))
    [message] = wait_for(lambda: smtp.to(other))
    assert not [part for part in message.walk() if part.get_content_maintype() == "image"]
    html = message.get_body(("html",)).get_content()
    assert "cid:" not in html and "Blue Fox Studio" in html and "#0066cc" in html
