"""The gateway keeps who a token is for a moment (AUTH_CACHE_SECONDS, at most 1 s) instead of
asking identity on every request, and still refuses a revoked token or a deactivated user
within 1 s: whether the change came through this gateway or another replica (here: written
straight into identity's database, as another gateway's request would have had it written)."""

import time

import psycopg

from tests.support.api import assert_error, confirm_team_address


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def refused_within(client, seconds: float) -> float:
    """Call /me until it is 401; how long that took after the change (fails past `seconds`)."""
    changed = time.monotonic()
    while True:
        status = client.get("/me").status_code
        waited = time.monotonic() - changed
        if status == 401:
            return waited
        assert status == 200, status
        assert waited < seconds, f"still accepted {waited:.2f} s after the change"
        time.sleep(0.02)


def test_a_token_revoked_elsewhere_is_refused_within_a_second(new_agency, system):
    owner = new_agency()
    token = owner.post("/tokens", json={"name": "script"}, expect=201).json()
    script = owner.with_token(token["token"])
    for _ in range(5):  # known to the gateway now
        script.get("/me", expect=200)

    with psycopg.connect(_psycopg_url(system.database_urls["identity"])) as db:
        db.execute("UPDATE api_tokens SET revoked_at = now() WHERE id = %s", (token["id"],))
    waited = refused_within(script, 1.0)
    assert waited < 1.0
    for _ in range(3):  # and stays refused
        assert_error(script.get("/me"), 401, "unauthenticated")


def test_a_user_deactivated_elsewhere_is_refused_within_a_second(new_agency, system):
    owner = new_agency()
    roles = owner.get("/roles", expect=200).json()["items"]
    member_role = next(r["id"] for r in roles if r["name"] == "Member")
    member = owner.post(
        "/users",
        json={
            "name": "Max Member",
            "email": f"max-{time.time_ns()}@example.test",
            "role_id": member_role,
            "password": owner.password,
        },
        expect=201,
    ).json()
    confirm_team_address(owner, member["email"])  # a new team user is pending until then
    session_client = owner.anonymous()  # the member's web session (a cookie)
    login = session_client.post(
        "/auth/login", json={"email": member["email"], "password": owner.password}
    )
    assert login.status_code == 200, login.text
    session_client.get("/me", expect=200)

    with psycopg.connect(_psycopg_url(system.database_urls["identity"])) as db:
        db.execute("UPDATE users SET status = 'inactive' WHERE id = %s", (member["id"],))
    assert refused_within(session_client, 1.0) < 1.0


def test_a_token_revoked_through_the_gateway_is_refused_at_once(new_agency):
    owner = new_agency()
    token = owner.post("/tokens", json={"name": "script"}, expect=201).json()
    script = owner.with_token(token["token"])
    script.get("/me", expect=200)
    owner.delete(f"/tokens/{token['id']}", expect=204)
    assert_error(script.get("/me"), 401, "unauthenticated")
