"""Who a credential belongs to is asked of identity once per AUTH_CACHE_SECONDS (at most 1 s),
not once per request; an identity change made through the gateway clears it at once, and a
refusal is never remembered. (That a revoked token stops within 1 s on the running system is
tests/e2e/test_auth_cache.py.)"""

import threading

import pytest

from gateway.principal_cache import PrincipalCache
from kit.errors import Unauthenticated

OWNER = {"Authorization": "Bearer owner-token"}


@pytest.fixture(autouse=True)
def cached(app):
    """The gateway's cache as it runs (the other gateway tests run without it)."""
    app.extensions["principal_cache"] = PrincipalCache(0.5)


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_a_principal_is_kept_for_the_ttl_counted_from_when_identity_was_asked():
    clock = Clock()
    cache = PrincipalCache(0.5, clock=clock)
    cache.put("api_token", "t", {"principal_id": "p"}, asked_at=clock.now - 0.2)
    assert cache.get("api_token", "t") == {"principal_id": "p"}
    assert cache.get("session", "t") is None  # a session and a token never share an entry
    clock.now += 0.29
    assert cache.get("api_token", "t") is not None
    clock.now += 0.02
    assert cache.get("api_token", "t") is None


@pytest.mark.parametrize("seconds", [1.5, -1])
def test_a_ttl_over_one_second_is_refused_at_start(seconds):
    with pytest.raises(RuntimeError, match="within a second"):
        PrincipalCache(seconds)


def test_zero_seconds_asks_every_time():
    cache = PrincipalCache(0)
    cache.put("api_token", "t", {"principal_id": "p"}, asked_at=0)
    assert cache.get("api_token", "t") is None


def test_the_cache_stays_bounded():
    clock = Clock()
    cache = PrincipalCache(1, max_entries=3, clock=clock)
    for i in range(10):
        cache.put("api_token", str(i), {}, asked_at=clock.now)
    assert len(cache._entries) <= 3


def test_repeated_requests_with_one_token_ask_identity_once(client, rpc):
    rpc.answers[("identity", "list_api_tokens")] = lambda: []
    for _ in range(5):
        assert client.get("/api/v1/tokens", headers=OWNER).status_code == 200
    assert rpc.methods().count("identity.authenticate_api_token") == 1


def test_a_wrong_token_is_never_remembered(client, rpc):
    for _ in range(3):
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer nope"})
        assert response.status_code == 401
    assert rpc.methods().count("identity.authenticate_api_token") == 3


def test_an_identity_change_through_the_gateway_forgets_every_principal_at_once(client, rpc):
    rpc.answers[("identity", "revoke_api_token")] = lambda token_id: None
    assert client.delete("/api/v1/tokens/1", headers=OWNER).status_code == 204

    # the owner's token was revoked: identity now refuses it, and this gateway asks again
    def refuse(token):
        raise Unauthenticated("This API token is not valid.")

    rpc.answers[("identity", "authenticate_api_token")] = refuse
    assert client.get("/api/v1/me", headers=OWNER).status_code == 401
    assert rpc.methods().count("identity.authenticate_api_token") == 2


def test_reads_from_identity_keep_the_cache(app):
    cache = app.extensions["principal_cache"]
    cache.put("api_token", "t", {"principal_id": "p"}, asked_at=cache.clock())
    for method in ("get_agency", "list_users", "authenticate_session", "users_by_ids"):
        cache.forget_all_after("identity", method)
    cache.forget_all_after("clients", "update_client")
    assert cache.get("api_token", "t") is not None
    cache.forget_all_after("identity", "deactivate_user")
    assert cache.get("api_token", "t") is None


def _refreshed(cache: PrincipalCache) -> None:
    """Wait for the background refresh to finish."""
    cache._refresher.submit(lambda: None).result(timeout=5)


def test_an_answer_past_half_its_ttl_is_served_and_asked_again_in_the_background():
    clock = Clock()
    cache = PrincipalCache(0.5, clock=clock)
    cache.put("api_token", "t", {"role": "old"}, asked_at=clock.now)
    clock.now += 0.2
    assert not cache.due_for_refresh("api_token", "t")
    clock.now += 0.1
    assert cache.due_for_refresh("api_token", "t")
    asked, answer = [], threading.Event()

    def ask(kind, token):
        asked.append((kind, token))
        answer.wait(5)
        return {"role": "new"}

    cache.refresh_soon("api_token", "t", ask)
    cache.refresh_soon("api_token", "t", ask)  # already being refreshed: asked once
    assert not cache.due_for_refresh("api_token", "t")
    answer.set()
    _refreshed(cache)
    assert asked == [("api_token", "t")]
    clock.now += 0.45  # 0.75 s after the first answer, 0.45 s after the refreshed one
    assert cache.get("api_token", "t") == {"role": "new"}
    clock.now += 0.05
    assert cache.get("api_token", "t") is None  # never older than the TTL


def test_a_refusal_heard_in_the_background_drops_the_answer_at_once():
    clock = Clock()
    cache = PrincipalCache(0.5, clock=clock)
    cache.put("api_token", "t", {"role": "old"}, asked_at=clock.now)
    clock.now += 0.3

    def revoked(kind, token):
        raise Unauthenticated("This API token is not valid.")

    cache.refresh_soon("api_token", "t", revoked)
    _refreshed(cache)
    assert cache.get("api_token", "t") is None


def test_an_answer_asked_before_the_cache_was_cleared_is_not_kept():
    clock = Clock()
    cache = PrincipalCache(0.5, clock=clock)
    cache.put("api_token", "t", {"role": "old"}, asked_at=clock.now)
    clock.now += 0.3

    def ask_while_a_role_changes(kind, token):
        cache.forget_all()  # an identity change through this gateway, meanwhile
        return {"role": "old"}

    cache.refresh_soon("api_token", "t", ask_while_a_role_changes)
    _refreshed(cache)
    assert cache.get("api_token", "t") is None
