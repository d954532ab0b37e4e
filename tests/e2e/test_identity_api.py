"""The identity part of /api/v1, used as an integrator's script would use it.

Every test signs up its own agency. Failed logins are few on purpose: identity slows a fourth
failure of one account from one address, and every test comes from 127.0.0.1.
"""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.support.api import (
    STRONG_PASSWORD,
    ApiClient,
    assert_error,
    confirm_team_address,
    unique_email,
)

NEW_PASSWORD = "harbour-Velvet-93-slowly"


def role_id(client: ApiClient, name: str) -> str:
    roles = client.get("/roles", expect=200).json()["items"]
    return next(role["id"] for role in roles if role["name"] == name)


def add_user(
    client: ApiClient, role: str = "Member", password: str = STRONG_PASSWORD, confirm=True
) -> dict:
    """A new user with a password; `confirm`: who opened the link e-mailed to confirm it."""
    body = {
        "name": f"{role} Person",
        "email": unique_email(role.lower()),
        "role_id": role_id(client, role),
        "password": password,
    }
    user = client.post("/users", json=body, expect=201).json()
    if confirm:
        confirm_team_address(client, user["email"])
    return user


def log_in(client: ApiClient, email: str, password: str):
    return client.post("/auth/login", json={"email": email, "password": password})


def user_ids(client: ApiClient) -> set[str]:
    return {user["id"] for user in client.get("/users", expect=200).json()["items"]}


# --- signing up and in -------------------------------------------------------------------------


def test_signup_answers_the_agency_its_owner_and_a_working_api_token(new_agency):
    owner = new_agency(agency_name="Northwind Creative")

    me = owner.get("/me", expect=200).json()
    assert me["user"]["email"] == owner.email
    assert me["user"]["role"]["name"] == "Owner"
    assert me["agency"]["name"] == "Northwind Creative"
    assert me["agency"]["trial_days_left"] == 14
    assert owner.get("/agency", expect=200).json()["id"] == owner.agency["id"]


def test_login_starts_a_session_and_logout_ends_it(new_agency, api):
    owner = new_agency()

    answer = log_in(api, owner.email, owner.password)
    assert answer.status_code == 200, answer.text
    assert answer.json()["user"]["email"] == owner.email
    assert api.get("/me", expect=200).json()["user"]["email"] == owner.email

    api.post("/auth/logout", json={}, expect=204)
    assert_error(api.get("/me"), 401, "unauthenticated")


def test_an_api_token_made_in_a_session_works_alone_until_revoked(new_agency, api):
    owner = new_agency()
    log_in(api, owner.email, owner.password)

    token = api.post("/tokens", json={"name": "Zapier"}, expect=201).json()
    script = api.with_token(token["token"])
    assert script.get("/me", expect=200).json()["user"]["email"] == owner.email
    listed = script.get("/tokens", expect=200).json()["items"]
    assert token["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed)

    script.delete(f"/tokens/{token['id']}", expect=204)
    assert_error(script.get("/me"), 401, "unauthenticated")


def test_a_wrong_api_token_is_refused_not_treated_as_anonymous(api):
    assert_error(api.with_token("not-a-token").get("/me"), 401, "unauthenticated")


# --- the team --------------------------------------------------------------------------------


def test_an_added_user_is_listed_and_can_log_in_once_the_address_is_confirmed(new_agency, api):
    owner = new_agency()
    user = add_user(owner, "Manager", confirm=False)
    assert user["invitation_pending"]
    assert_error(log_in(api, user["email"], STRONG_PASSWORD), 401, "unauthenticated")
    confirmed = confirm_team_address(owner, user["email"])
    assert confirmed["user"]["email"] == user["email"]

    assert not owner.get(f"/users/{user['id']}", expect=200).json()["invitation_pending"]
    assert user["status"] == "active"
    assert user["role"]["name"] == "Manager"
    assert user["id"] in user_ids(owner)
    assert owner.get(f"/users/{user['id']}", expect=200).json()["email"] == user["email"]
    assert log_in(api, user["email"], STRONG_PASSWORD).status_code == 200


def test_a_deactivated_user_cannot_log_in_until_reactivated(new_agency, api):
    owner = new_agency()
    user = add_user(owner)

    answer = owner.post(f"/users/{user['id']}/deactivate", expect=200).json()
    assert answer["status"] == "inactive"
    assert_error(log_in(api, user["email"], STRONG_PASSWORD), 401, "unauthenticated")
    inactive = owner.get("/users", params={"status": "inactive"}, expect=200).json()["items"]
    assert [u["id"] for u in inactive] == [user["id"]]

    owner.post(f"/users/{user['id']}/reactivate", expect=200)
    assert log_in(api, user["email"], STRONG_PASSWORD).status_code == 200


def test_adding_another_agencys_address_answers_like_a_free_one_and_tells_its_owner(
    new_agency, mailbox, api
):
    taken_by, owner = new_agency(agency_name="Taken Co"), new_agency(agency_name="Adding Co")
    member = role_id(owner, "Member")
    answers = {
        email: owner.post(
            "/users",
            json={
                "name": "New One",
                "email": email,
                "role_id": member,
                "password": STRONG_PASSWORD,
            },
        )
        for email in (taken_by.email, unique_email("free"))
    }
    [(taken, taken_answer), (free, free_answer)] = answers.items()

    assert taken_answer.status_code == free_answer.status_code == 201
    bodies = [answer.json() for answer in (taken_answer, free_answer)]
    varying = ("id", "email", "created_at")
    assert [{k: v for k, v in b.items() if k not in varying} for b in bodies] == 2 * [
        {k: v for k, v in bodies[1].items() if k not in varying}
    ]
    # The free address gets its link; the taken one's owner a notice naming who tried.
    notice = mailbox.wait_for(taken, "Someone tried to add you", timeout=20)
    assert "Adding Co" in notice.text and "nothing was added" in notice.text
    assert mailbox.wait_for(free, "Confirm your address", timeout=20)
    assert mailbox.find(taken, "Confirm your address") == []
    # The owner of the taken address still logs in to their own agency, and only there.
    me = log_in(api, taken, taken_by.password).json()["user"]
    assert me["agency_id"] == taken_by.agency["id"]


def test_a_deactivated_user_is_told_their_access_and_tokens_ended(new_agency, mailbox):
    owner = new_agency(agency_name="Ending Co")
    user = add_user(owner)
    owner.post(f"/users/{user['id']}/deactivate", expect=200)

    message = mailbox.wait_for(user["email"], "Your access to Ending Co has ended", timeout=20)
    assert "session" in message.text and "API token revoked" in message.text


def test_a_user_can_be_renamed_and_given_another_role(new_agency):
    owner = new_agency()
    user = add_user(owner)

    changed = owner.patch(
        f"/users/{user['id']}",
        json={"name": "Renamed Person", "role_id": role_id(owner, "Admin")},
        expect=200,
    ).json()

    assert changed["name"] == "Renamed Person"
    assert changed["role"]["name"] == "Admin"


def test_a_member_may_not_manage_users(new_agency, api):
    owner = new_agency()
    member = add_user(owner, "Member")
    log_in(api, member["email"], STRONG_PASSWORD)
    assert api.get("/me", expect=200).json()["user"]["role"]["name"] == "Member"

    assert_error(api.get("/users"), 403, "permission_denied")
    assert_error(api.get(f"/users/{owner.user['principal_id']}"), 403, "permission_denied")
    new_user = {
        "name": "Sneaky",
        "email": unique_email("sneaky"),
        "role_id": member["role"]["id"],
        "password": STRONG_PASSWORD,
    }
    assert_error(api.post("/users", json=new_user), 403, "permission_denied")
    assert_error(api.post(f"/users/{owner.user['principal_id']}/deactivate"), 403)

    assert len(user_ids(owner)) == 2


# --- password reset --------------------------------------------------------------------------


def test_password_reset_by_the_emailed_link(new_agency, api, mailbox):
    owner = new_agency()

    answer = api.post("/auth/password/forgot", json={"email": owner.email}, expect=202)
    assert "on its way" in answer.json()["message"]
    email = mailbox.wait_for(owner.email, "reset your password")
    link = email.first_url()
    assert urlparse(link).path == "/reset-password"
    assert link in email.html
    token = parse_qs(urlparse(link).query)["token"][0]

    api.post("/auth/password/reset", json={"token": token, "password": NEW_PASSWORD}, expect=200)

    assert log_in(api.anonymous(), owner.email, NEW_PASSWORD).status_code == 200
    assert_error(log_in(api.anonymous(), owner.email, owner.password), 401, "unauthenticated")
    again = api.post("/auth/password/reset", json={"token": token, "password": STRONG_PASSWORD})
    assert again.status_code in (400, 422), again.text


def test_forgot_password_answers_the_same_for_an_unknown_address(api):
    known = api.post("/auth/password/forgot", json={"email": unique_email("nobody")})

    assert known.status_code == 202
    assert "on its way" in known.json()["message"]


# --- tenant isolation ------------------------------------------------------------------------


def test_another_agency_sees_none_of_an_agencys_users(new_agency):
    agency_a, agency_b = new_agency(), new_agency()
    member = add_user(agency_a)
    ids_of_a = [agency_a.user["principal_id"], member["id"]]

    for user_id in ids_of_a:
        assert_error(agency_b.get(f"/users/{user_id}"), 404, "not_found")
        assert_error(agency_b.patch(f"/users/{user_id}", json={"name": "Taken"}), 404)
        assert_error(agency_b.post(f"/users/{user_id}/deactivate"), 404, "not_found")
        assert_error(agency_b.post(f"/users/{user_id}/reactivate"), 404, "not_found")

    assert not user_ids(agency_b) & set(ids_of_a)
    users_of_a = {u["id"]: u for u in agency_a.get("/users", expect=200).json()["items"]}
    assert users_of_a[member["id"]]["name"] == member["name"]
    assert users_of_a[member["id"]]["status"] == "active"


# --- bad input: a clear 4xx, nothing changed ---------------------------------------------------


def test_malformed_json_is_a_400_that_says_so(api):
    answer = api.post(
        "/auth/signup", data="{not json", headers={"Content-Type": "application/json"}
    )

    error = assert_error(answer, 400, "bad_request")
    assert "JSON" in error["message"]


def test_a_body_that_is_not_json_is_refused(api):
    answer = api.post("/auth/signup", data="email=a@b.c")

    assert_error(answer, 415)


def test_missing_fields_are_named(api):
    error = assert_error(api.post("/auth/signup", json={"agency_name": "Half"}), 422)

    assert {"owner_name", "email", "password"} <= set(error["fields"])


def test_signup_with_a_used_address_answers_as_a_new_one_and_tells_only_its_owner(
    new_agency, api, mailbox
):
    owner = new_agency()
    body = {
        "agency_name": "Copycat",
        "owner_name": "Copy Cat",
        "email": owner.email.upper(),
        "password": NEW_PASSWORD,
    }
    fresh = {**body, "email": unique_email("fresh")}

    used, new = api.post("/auth/signup", json=body), api.post("/auth/signup", json=fresh)
    assert (used.status_code, used.json()) == (new.status_code, new.json())
    assert used.status_code == 202
    notice = mailbox.wait_for(owner.email, "tried to sign up with your address", timeout=20)
    assert "/forgot-password" in notice.text and "token" not in notice.text
    # The only link it ever got is the one its own signup sent.
    assert len(mailbox.find(owner.email, "finish signing up")) == 1
    assert_error(log_in(api, owner.email, NEW_PASSWORD), 401)
    assert log_in(api, owner.email, owner.password).status_code == 200
    assert api.get("/agency", expect=200).json()["name"] == owner.agency["name"]


@pytest.mark.parametrize("password", ["short", "password123"])
def test_a_weak_password_is_refused_and_no_account_is_made(api, password):
    email = unique_email("weak")
    body = {"agency_name": "Weak", "owner_name": "Weak", "email": email, "password": password}

    error = assert_error(api.post("/auth/signup", json=body), 422, "validation_error")
    assert "password" in error["fields"]
    # The address is still free: signing up with it and a good password e-mails the link.
    api.post("/auth/signup", json={**body, "password": STRONG_PASSWORD}, expect=202)


def test_a_weak_password_for_a_new_user_adds_no_user(new_agency):
    owner = new_agency()
    before = user_ids(owner)
    body = {
        "name": "Weak",
        "email": unique_email("weak"),
        "role_id": role_id(owner, "Member"),
        "password": "short",
    }

    error = assert_error(owner.post("/users", json=body), 422, "validation_error")
    assert "password" in error["fields"]
    assert user_ids(owner) == before


def test_an_unknown_field_is_refused_not_ignored(new_agency):
    owner = new_agency()
    user = add_user(owner)

    error = assert_error(owner.patch(f"/users/{user['id']}", json={"nmae": "Typo"}), 422)
    assert "nmae" in error["fields"]
    assert owner.get(f"/users/{user['id']}", expect=200).json()["name"] == user["name"]


# --- one shape for lists, one rule for ids -------------------------------------------------------


def test_every_team_list_answers_one_page_in_the_shared_shape(new_agency):
    owner = new_agency()
    add_user(owner)
    owner.post("/tokens", json={"name": "Zapier"}, expect=201)

    for path in ("/users", "/roles", "/tokens", "/permissions", "/plans"):
        whole = owner.get(path, expect=200).json()
        assert set(whole) == {"items", "total", "page", "per_page"}, path
        assert (whole["page"], whole["per_page"], whole["total"]) == (1, 25, len(whole["items"]))
        second = owner.get(path, params={"page": 2, "per_page": 1}, expect=200).json()
        assert second["items"] == whole["items"][1:2], path
        assert (second["page"], second["per_page"], second["total"]) == (2, 1, whole["total"])
    assert "per_page" in assert_error(owner.get("/users", params={"per_page": 0}), 422)["fields"]


def test_a_malformed_id_is_not_found_in_a_path_and_a_field_error_in_a_body(new_agency):
    owner = new_agency()
    user = add_user(owner)

    assert_error(owner.get("/users/not-an-id"), 404, "not_found")
    assert_error(owner.patch("/roles/not-an-id", json={"name": "Renamed"}), 404, "not_found")
    assert_error(owner.delete("/tokens/not-an-id"), 404, "not_found")
    moved = owner.patch(f"/users/{user['id']}", json={"role_id": "not-an-id"})
    error = assert_error(moved, 422, "validation_error")
    assert error["fields"] == {"role_id": ["Not a valid id."]}
    unknown = owner.patch(f"/users/{user['id']}", json={"role_id": user["id"]})
    assert "role_id" in assert_error(unknown, 422)["fields"]
    assert owner.get(f"/users/{user['id']}", expect=200).json()["role"] == user["role"]
