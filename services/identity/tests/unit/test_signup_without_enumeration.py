"""Signing up tells nobody but the address's owner whether it has an account: the answer is the
same, the e-mail differs (a link to finish, or a notice), and only the link creates the agency."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from identity import signups
from kit.context import Context
from kit.db import utcnow
from kit.errors import NotFound, ValidationError
from kit.tables import OutboxEvent

ANON = Context(agency_id=None)
PASSWORD = "correct-horse-battery"


def events(session, event_type):
    return [
        row.payload
        for row in session.scalars(select(OutboxEvent).where(OutboxEvent.event_type == event_type))
    ]


def request(call, email, agency="Newco"):
    return call(signups.request_signup, ANON, agency, "Nina New", email, PASSWORD)


def test_a_used_address_gets_the_same_answer_and_its_owner_a_notice(call, session, owner):
    assert request(call, "owner@acme.test") == request(call, "new@newco.test") is None
    [notice] = events(session, "signup_existing_account")
    assert (notice["email"], notice["name"]) == ("owner@acme.test", "Olive Owner")
    [link] = events(session, "signup_requested")
    assert link["email"] == "new@newco.test" and link["confirm_token"]


def test_the_link_creates_the_agency_once_and_signs_its_owner_in(call, session, settings):
    request(call, "new@newco.test")
    [link] = events(session, "signup_requested")
    result = call(signups.confirm_signup, ANON, link["confirm_token"], settings=settings)
    assert result["agency"]["name"] == "Newco"
    assert result["principal"]["email"] == "new@newco.test" and result["session_token"]
    with pytest.raises(NotFound):
        call(signups.confirm_signup, ANON, link["confirm_token"], settings=settings)


def test_nothing_but_a_link_exists_until_it_is_opened(call, session, settings):
    request(call, "new@newco.test")
    assert events(session, "agency_signed_up") == []


def test_an_expired_link_creates_nothing(call, session, settings):
    request(call, "new@newco.test")
    [link] = events(session, "signup_requested")
    later = utcnow() + timedelta(hours=25)
    with pytest.raises(NotFound):
        call(signups.confirm_signup, ANON, link["confirm_token"], None, later, settings=settings)


def test_field_errors_are_the_same_for_every_address(call, owner):
    for email in ("owner@acme.test", "new@newco.test"):
        with pytest.raises(ValidationError) as raised:
            call(signups.request_signup, ANON, "", "Nina", email, "short")
        assert set(raised.value.fields) == {"agency_name", "password"}


def test_one_address_gets_at_most_five_signup_e_mails_an_hour(call, session, owner):
    for _ in range(7):
        request(call, "owner@acme.test")
    assert len(events(session, "signup_existing_account")) == signups.MAX_PER_HOUR
