"""Domain functions called directly with a real database session, as an entrypoint would:
committed when they return, rolled back when they raise."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from identity import agencies, roles, users
from kit.context import Context
from kit.db import make_engine


@pytest.fixture
def session(db_url):
    engine = make_engine(db_url, pool_size=1)
    with Session(engine, expire_on_commit=False) as session:
        yield session
    engine.dispose()


@pytest.fixture
def call(session):
    """call(fn, *args) runs a domain function in its own transaction, like an entrypoint."""

    def run(fn, *args, **kwargs):
        session.rollback()
        try:
            result = fn(session, *args, **kwargs)
        except BaseException:
            session.rollback()
            raise
        session.commit()
        return result

    return run


def context_of(principal: dict) -> Context:
    return Context(
        agency_id=principal["agency_id"],
        principal_id=principal["principal_id"],
        kind=principal["kind"],
        permissions=frozenset(principal["permissions"]),
        client_id=principal["client_id"],
    )


@pytest.fixture
def signup(call, settings):
    """Sign an agency up; returns (owner's context, the signup result)."""

    def make(email="owner@acme.test", agency_name="Acme", password="correct-horse-battery"):
        result = call(
            agencies.signup,
            Context(agency_id=None),
            agency_name,
            "Olive Owner",
            email,
            password,
            settings=settings,
        )
        return context_of(result["principal"]), result

    return make


@pytest.fixture
def owner(signup) -> Context:
    return signup()[0]


@pytest.fixture
def add_user(call, owner, confirm_token, settings):
    """Add a team member with a role, who confirms their address by the e-mailed link; returns
    (their context, their user dict)."""

    def make(email, role_name="Member", ctx=None, password="correct-horse-battery"):
        ctx = ctx or owner
        role = next(r for r in call(roles.list_roles, ctx) if r["name"] == role_name)
        user = call(users.create_user, ctx, "Some One", email, role["id"], password)
        token = confirm_token(email)
        call(users.accept_user_invitation, Context(agency_id=None), token, None, settings=settings)
        member_ctx = Context(
            agency_id=ctx.agency_id,
            principal_id=user["id"],
            permissions=frozenset(role["permissions"]),
        )
        return member_ctx, user

    return make
