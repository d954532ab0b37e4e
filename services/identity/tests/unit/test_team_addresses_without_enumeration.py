"""Adding a team user tells the caller nothing about other agencies: an address that another
agency's user has is added exactly like a free one (a pending user, the same answer); the free
address gets its confirmation link, the taken one's owner a notice. Only confirmed addresses log
in, and they are unique across agencies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from identity import logins, roles, signups, users
from kit.context import Context
from kit.errors import Conflict, Unauthenticated, ValidationError
from kit.tables import OutboxEvent

ANON = Context(agency_id=None)
PASSWORD = "correct-horse-battery"


def events(session, event_type):
    rows = session.scalars(
        select(OutboxEvent)
        .where(OutboxEvent.event_type == event_type)
        .order_by(OutboxEvent.created_at)
    )
    return [(str(row.agency_id), row.payload) for row in rows]


def member_role(call, ctx):
    return next(r for r in call(roles.list_roles, ctx) if r["name"] == "Member")["id"]


def add(call, ctx, email, **kwargs):
    kwargs.setdefault("password", None if kwargs.get("send_invitation") else PASSWORD)
    return call(users.create_user, ctx, "Tom Team", email, member_role(call, ctx), **kwargs)


def shape(user):
    """What may differ between two users: nothing but their ids, e-mails and times."""
    times = ("created_at", "last_login_at")
    return {k: v for k, v in user.items() if k not in ("id", "email", *times)}


@pytest.fixture
def log_in(call, settings):
    def run(email, password=PASSWORD):
        return call(logins.login, ANON, email, password, "192.0.2.9", settings=settings).result()

    return run


@pytest.fixture
def beta(signup):
    """Another agency, whose owner has the address others will try."""
    return signup(email="taken@beta.test", agency_name="Beta")[0]


@pytest.mark.parametrize("send_invitation", [False, True])
def test_an_address_of_another_agency_is_added_like_a_free_one(
    call, session, owner, beta, send_invitation
):
    taken = add(call, owner, "TAKEN@beta.test", send_invitation=send_invitation)
    free = add(call, owner, "free@new.test", send_invitation=send_invitation)

    assert shape(taken) == shape(free)
    assert taken["invitation_pending"] and free["invitation_pending"]
    listed = {u["email"]: u for u in call(users.list_users, owner)}
    assert shape(listed["TAKEN@beta.test"]) == shape(listed["free@new.test"])


def test_the_free_address_gets_its_link_and_the_taken_ones_owner_a_notice(
    call, session, owner, beta
):
    add(call, owner, "taken@beta.test")
    add(call, owner, "free@new.test")

    created = {p["email"]: p for _, p in events(session, "user_created")}
    assert created["free@new.test"]["confirm_token"]
    assert created["taken@beta.test"]["confirm_token"] is None
    [(agency, notice)] = events(session, "user_address_in_use_elsewhere")
    # The notice belongs to the owner's agency: nothing of it reaches the adding agency.
    assert agency == beta.agency_id
    assert (notice["email"], notice["name"]) == ("taken@beta.test", "Olive Owner")
    assert notice["other_agency_name"] == "Acme"


def test_a_pending_user_cannot_log_in_until_the_link_confirms_the_address(
    call, owner, confirm_token, settings, log_in
):
    add(call, owner, "free@new.test")
    with pytest.raises(Unauthenticated):
        log_in("free@new.test")

    confirmed = call(
        users.accept_user_invitation, ANON, confirm_token("free@new.test"), None, settings=settings
    )
    assert confirmed["principal"]["email"] == "free@new.test" and confirmed["session_token"]
    assert log_in("free@new.test")["principal"]["email"] == "free@new.test"
    [user] = [u for u in call(users.list_users, owner) if u["email"] == "free@new.test"]
    assert not user["invitation_pending"]


def test_an_invited_user_must_choose_a_password_when_confirming(
    call, owner, confirm_token, settings, log_in
):
    add(call, owner, "ivy@new.test", send_invitation=True)
    token = confirm_token("ivy@new.test")
    with pytest.raises(ValidationError) as raised:
        call(users.accept_user_invitation, ANON, token, None, settings=settings)
    assert "password" in raised.value.fields
    call(users.accept_user_invitation, ANON, token, "ivy-chooses-this", settings=settings)
    assert log_in("ivy@new.test", "ivy-chooses-this")


def test_the_owner_of_the_taken_address_still_logs_in_to_their_own_agency(
    call, owner, beta, log_in
):
    add(call, owner, "taken@beta.test")
    principal = log_in("taken@beta.test")["principal"]
    assert principal["agency_id"] == beta.agency_id


def test_confirming_an_address_taken_elsewhere_meanwhile_says_so_clearly(
    call, owner, beta, confirm_token, settings, log_in
):
    add(call, owner, "both@new.test")
    add(call, beta, "both@new.test")
    [acme_token, beta_token] = _tokens(call, "both@new.test")
    call(users.accept_user_invitation, ANON, beta_token, None, settings=settings)

    with pytest.raises(Conflict) as raised:
        call(users.accept_user_invitation, ANON, acme_token, None, settings=settings)
    assert "already has an account" in raised.value.message
    assert "Acme" in raised.value.message
    assert log_in("both@new.test")["principal"]["agency_id"] == beta.agency_id


def test_the_same_agency_may_say_an_address_is_already_in_its_team(call, owner):
    add(call, owner, "tess@new.test")
    with pytest.raises(Conflict) as raised:
        add(call, owner, "Tess@New.test")
    assert "your team" in raised.value.message


def test_changing_a_users_address_to_another_agencys_answers_like_a_free_one(
    call, session, owner, beta, add_user
):
    _, mia = add_user("mia@acme.test")
    _, max_ = add_user("max@acme.test")
    taken = call(users.update_user, owner, mia["id"], {"email": "taken@beta.test"})
    free = call(users.update_user, owner, max_["id"], {"email": "max@new.test"})
    assert shape(taken) == shape(free) and taken["invitation_pending"]

    changes = {p["email"]: p for _, p in events(session, "user_email_change_requested")}
    assert changes["max@new.test"]["confirm_token"]
    assert changes["taken@beta.test"]["confirm_token"] is None
    [(agency, _)] = events(session, "user_address_in_use_elsewhere")
    assert agency == beta.agency_id


def _tokens(call, email):
    """The confirmation tokens e-mailed to `email`, oldest first."""

    def read(session):
        return [
            p["confirm_token"]
            for _, p in events(session, "user_created")
            if p["email"] == email and p["confirm_token"]
        ]

    return call(read)


def test_an_address_some_agency_only_added_can_still_sign_up_its_own_agency(
    call, session, owner, settings
):
    add(call, owner, "pending@new.test")
    call(signups.request_signup, ANON, "Newco", "Pia Pending", "pending@new.test", PASSWORD)
    assert events(session, "signup_existing_account") == []
    [(_, link)] = events(session, "signup_requested")
    created = call(signups.confirm_signup, ANON, link["confirm_token"], settings=settings)
    assert created["principal"]["email"] == "pending@new.test"


def test_a_pending_user_gets_a_new_link_and_the_old_one_stops_working(
    call, session, owner, beta, settings
):
    user = add(call, owner, "late@new.test")
    [first] = _tokens(call, "late@new.test")
    again = call(users.resend_confirmation, owner, user["id"])
    assert again["invitation_pending"]
    [_, second] = _tokens(call, "late@new.test")
    with pytest.raises(ValidationError):
        call(users.accept_user_invitation, ANON, first, None, settings=settings)
    call(users.accept_user_invitation, ANON, second, None, settings=settings)
    with pytest.raises(Conflict):
        call(users.resend_confirmation, owner, user["id"])
    # For an address another agency's user has, a resend is a second notice, the same answer.
    taken = add(call, owner, "taken@beta.test")
    assert shape(call(users.resend_confirmation, owner, taken["id"])) == shape(again)
    assert len(events(session, "user_address_in_use_elsewhere")) == 2
