"""Helpers of the clients tests: a team member with a given role, and a contact who accepted
the portal invitation e-mailed to them. (A small PNG made in memory: kit.testing.png_bytes.)"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.support.api import STRONG_PASSWORD, ApiClient, confirm_team_address, unique_email


def team_member(owner: ApiClient, role_name: str = "Member") -> ApiClient:
    """A new user of the owner's agency with a built-in role, signed in with an API token."""
    roles = owner.get("/roles", expect=200).json()["items"]
    role = next(r for r in roles if r["name"] == role_name)
    email = unique_email(role_name.lower())
    owner.post(
        "/users",
        json={
            "name": f"{role_name} Person",
            "email": email,
            "role_id": role["id"],
            "password": STRONG_PASSWORD,
        },
        expect=201,
    )
    confirm_team_address(owner, email)
    session = owner.anonymous()
    session.post("/auth/login", json={"email": email, "password": STRONG_PASSWORD}, expect=200)
    token = session.post("/tokens", json={"name": "e2e"}, expect=201).json()["token"]
    member = owner.with_token(token)
    member.email, member.password = email, STRONG_PASSWORD
    return member


def invitation_token(mailbox, email: str) -> str:
    """The token of the newest portal invitation e-mailed to `email`."""
    message = mailbox.wait_for(email, "client portal", timeout=20)
    url = next(
        u
        for u in re.findall(r"https?://[^\s<>\"')]+", message.text or message.html)
        if "/portal/invitations/accept" in u
    )
    return parse_qs(urlparse(url).query)["token"][0]


def portal_session(owner: ApiClient, mailbox, email: str) -> ApiClient:
    """Accept the invitation e-mailed to `email` through the API: a signed-in portal session."""
    portal = owner.anonymous()
    token = invitation_token(mailbox, email)
    portal.post(
        "/portal/invitations/accept",
        json={"token": token, "password": STRONG_PASSWORD},
        expect=200,
    )
    return portal
