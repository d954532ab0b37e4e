"""The dashboard's "Get started" list ticks what the agency has done, and only what it has."""

import re

OWNER = {"Authorization": "Bearer owner-token"}
MEMBER = {"Authorization": "Bearer member-token"}


def steps(page: str) -> dict[str, bool]:
    found = re.findall(r'data-step="([a-z]+)" data-done="(true|false)"', page)
    return {key: done == "true" for key, done in found}


def answer(rpc, *, users=1, tokens=0, timezone="UTC", branding=None):
    agency = {**rpc.answers[("identity", "get_agency")](), "timezone": timezone}
    agency["branding"] = branding or {"color": None, "has_logo": False}
    rpc.answers[("identity", "get_agency")] = lambda: agency
    rpc.answers[("identity", "get_entitlements")] = lambda: None
    rpc.answers[("identity", "list_users")] = lambda status=None: [{}] * users
    rpc.answers[("identity", "list_api_tokens")] = lambda: [{}] * tokens
    rpc.answers[("clients", "list_clients")] = lambda **k: {"items": [], "total": 0}
    rpc.answers[("clients", "client_names")] = lambda: []
    rpc.answers[("reporting", "dashboard")] = lambda **k: None
    rpc.answers[("reporting", "get_layout")] = lambda: {"widgets": []}


def test_a_new_agency_has_nothing_ticked(client, rpc):
    answer(rpc)
    page = client.get("/", headers=OWNER).data.decode()
    assert steps(page) == {"team": False, "timezone": False, "branding": False, "token": False}
    assert "0 of 4 done" in page


def test_each_step_is_ticked_once_done(client, rpc):
    answer(rpc, users=2, tokens=1, timezone="Europe/Paris", branding={"color": "#0f766e"})
    page = client.get("/", headers=OWNER).data.decode()
    assert steps(page) == {"team": True, "timezone": True, "branding": True, "token": True}
    assert 'data-test="get-started-all-done"' in page


def test_a_step_the_user_may_not_do_is_left_out(client, rpc):
    answer(rpc)
    page = client.get("/", headers=MEMBER).data.decode()
    assert set(steps(page)) == {"token"}


def test_a_service_that_cannot_answer_leaves_its_step_unticked(client, rpc):
    answer(rpc, users=3)

    def broken(status=None):
        raise RuntimeError("identity is away")

    rpc.answers[("identity", "list_users")] = broken
    page = client.get("/", headers=OWNER).data.decode()
    assert steps(page)["team"] is False
