"""A small client for /api/v1, as an integrator's script would use it: a bearer token or the
session cookie a login sets."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any
from urllib.parse import parse_qs, urlparse

import requests

# Long enough and not on identity's list of common passwords.
STRONG_PASSWORD = "river-Lantern-47-quietly"


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}@e2e.example.com"


class ApiClient:
    """`get/post/patch/delete(path, ...)` under /api/v1, answering `requests.Response`.

    `expect=<status>` turns any other answer into a failure that shows the body.
    Clients made by the `new_agency` fixture also know their `email`, `password`, `agency` and
    `user` (the owner)."""

    def __init__(self, base_url: str, token: str | None = None):
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.token = token
        if token:
            self.http.headers["Authorization"] = f"Bearer {token}"
        self.email: str | None = None
        self.password: str | None = None
        self.agency: dict | None = None
        self.user: dict | None = None

    def url(self, path: str) -> str:
        return f"{self.base_url}/api/v1/{path.lstrip('/')}"

    def request(
        self, method: str, path: str, *, expect: int | None = None, **kwargs: Any
    ) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        response = self.http.request(method, self.url(path), **kwargs)
        if expect is not None and response.status_code != expect:
            raise AssertionError(
                f"{method} {path}: expected {expect}, got {response.status_code}: "
                f"{response.text[:2000]}"
            )
        return response

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def patch(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PATCH", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def anonymous(self) -> ApiClient:
        """A client of the same gateway with no credentials and no cookies."""
        return ApiClient(self.base_url)

    def with_token(self, token: str) -> ApiClient:
        return ApiClient(self.base_url, token)


def signup_token(mailbox, email: str) -> str:
    """The token of the newest signup link e-mailed to `email`."""
    message = mailbox.wait_for(email, "finish signing up", timeout=20)
    url = next(u for u in re.findall(r"https?://[^\s<>\"')]+", message.text) if "/signup/" in u)
    return parse_qs(urlparse(url).query)["token"][0]


def confirm_link_token(mailbox, email: str) -> str:
    """The token of the newest link e-mailed to a team user's address to confirm it (or to
    accept an invitation)."""
    message = mailbox.wait_for(email, "", timeout=20)
    url = next(
        u
        for u in re.findall(r"https?://[^\s<>\"')]+", message.text)
        if "/invitations/confirm" in u or "/invitations/accept" in u
    )
    return parse_qs(urlparse(url).query)["token"][0]


def confirm_team_address(client: ApiClient, email: str, password: str | None = None) -> dict:
    """Open the link e-mailed to a new team user (`POST auth/invitations/accept`)."""
    body = {"token": confirm_link_token(client.mailbox, email)}
    if password:
        body["password"] = password
    return client.anonymous().post("/auth/invitations/accept", json=body, expect=200).json()


def sign_up(
    base_url: str, mailbox, agency_name: str | None = None, password: str = STRONG_PASSWORD
):
    """A fresh agency through POST /auth/signup and the e-mailed link (POST
    /auth/signup/confirm); its owner's token-authenticated client."""
    email = unique_email("owner")
    body = {
        "agency_name": agency_name or f"Agency {uuid.uuid4().hex[:6]}",
        "owner_name": "Olive Owner",
        "email": email,
        "password": password,
    }
    anonymous = ApiClient(base_url)
    anonymous.post("/auth/signup", json=body, expect=202)
    token = signup_token(mailbox, email)
    answer = anonymous.post("/auth/signup/confirm", json={"token": token}, expect=201).json()
    client = ApiClient(base_url, answer["token"]["token"])
    client.email, client.password = email, password
    client.mailbox = mailbox
    client.agency, client.user = answer["agency"], answer["user"]
    return client


def billable_client(owner: ApiClient, name: str | None = None) -> dict:
    """A new client of `owner`'s agency once billing has learnt of it (from the clients
    service's event): its funding answers."""
    name = name or f"Client {uuid.uuid4().hex[:6]}"
    client = owner.post("/clients", json={"name": name}, expect=201).json()
    deadline = time.monotonic() + 20
    while owner.get(f"/clients/{client['id']}/funding").status_code != 200:
        assert time.monotonic() < deadline, "billing never heard of the client"
        time.sleep(0.2)
    return client


def assert_error(response: requests.Response, status: int, code: str | None = None) -> dict:
    """The answer is `status` with the one error body; returns its `error` object."""
    assert response.status_code == status, (
        f"expected {status}, got {response.status_code}: {response.text}"
    )
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert {"code", "message", "fields"} <= set(error), error
    assert error["message"], error
    if code is not None:
        assert error["code"] == code, error
    return error
