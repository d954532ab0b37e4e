"""Page forms, read with the API's schemas: a refused form comes back with what was typed and
each message under its field, and a form the schema refuses never reaches a service."""

import re
from html import unescape

import pytest

from kit.errors import Conflict, ValidationError

OWNER = {"Authorization": "Bearer owner-token"}
# As identity lists them (the pages check a role's permissions before granting it).
ROLES = [
    {
        "id": "00000000-0000-0000-0000-0000000000f1",
        "name": "Owner",
        "is_builtin": True,
        "permissions": ["manage_settings", "manage_users", "view_clients", "view_reports"],
    },
    {
        "id": "00000000-0000-0000-0000-0000000000f4",
        "name": "Member",
        "is_builtin": True,
        "permissions": ["view_clients", "view_reports"],
    },
]
PERMISSIONS = [
    {"name": "view_clients", "description": "See clients and their contacts"},
    {"name": "edit_clients", "description": "Change clients and contacts"},
    {"name": "manage_users", "description": "Add, change and deactivate users and roles"},
]


@pytest.fixture
def team(rpc):
    rpc.answers[("identity", "list_roles")] = lambda: ROLES
    rpc.answers[("identity", "list_permissions")] = lambda: PERMISSIONS
    rpc.answers[("identity", "list_users")] = lambda status=None: []
    rpc.answers[("clients", "list_custom_fields")] = lambda: []
    return rpc


def post_form(client, path: str, data: dict, headers=None):
    """Open the page for its CSRF token, then post `data` as the browser would."""
    page = client.get(path, headers=headers).data.decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(path, data={"csrf_token": token, **data}, headers=headers)


def messages_under(html: str, name: str) -> list[str]:
    """The messages shown right under the input (or select) named `name`."""
    control = re.search(
        rf'<input[^>]*name="{name}"[^>]*>|<select[^>]*name="{name}"[^>]*>.*?</select>', html, re.S
    )
    rest = html[control.end() :]
    return [
        unescape(m)
        for m in re.findall(r'^\s*<div class="invalid-feedback[^"]*">([^<]*)</div>', rest)
    ]


def value_of(html: str, name: str) -> str | None:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*?value="([^"]*)"', html)
    return unescape(match.group(1)) if match else None


def test_a_signup_with_blank_fields_shows_each_message_under_its_field_and_calls_nobody(
    client, rpc
):
    response = post_form(client, "/signup", {"agency_name": "Acme", "owner_name": "", "email": ""})
    html = response.data.decode()
    assert response.status_code == 422
    assert messages_under(html, "owner_name") and messages_under(html, "email")
    assert messages_under(html, "password") and not messages_under(html, "agency_name")
    assert value_of(html, "agency_name") == "Acme"
    assert "Please correct the marked fields." in html
    assert [m for m in rpc.methods() if m != "identity.get_agency"] == []


def test_a_service_refusal_goes_under_its_field_and_keeps_what_was_typed(client, team):
    def taken(**user):
        raise Conflict("This e-mail address is taken.", {"email": "Another user has it."})

    team.answers[("identity", "create_user")] = taken
    typed = {"name": "Max Member", "email": "max@example.com", "role_id": ROLES[1]["id"]}
    response = post_form(client, "/users/new", {**typed, "password": "pw-long-enough-1"}, OWNER)
    html = response.data.decode()
    assert response.status_code == 409
    assert messages_under(html, "email") == ["Another user has it."]
    assert value_of(html, "name") == "Max Member" and value_of(html, "email") == "max@example.com"
    assert f'<option value="{ROLES[1]["id"]}" selected>' in html
    assert "pw-long-enough-1" not in html


def test_a_malformed_role_id_on_the_user_page_is_an_error_on_the_role(client, team):
    typed = {"name": "Max", "email": "max@example.com", "role_id": "nope", "password": "x" * 12}
    response = post_form(client, "/users/new", typed, OWNER)
    assert response.status_code == 422
    assert messages_under(response.data.decode(), "role_id") == ["Not a valid id."]
    assert "identity.create_user" not in team.methods()


def test_a_new_user_needs_a_password_or_an_invitation(client, team):
    typed = {"name": "Max", "email": "max@example.com", "role_id": ROLES[1]["id"]}
    response = post_form(client, "/users/new", typed, OWNER)
    assert response.status_code == 422
    assert (
        "tick the box to send an invitation"
        in messages_under(response.data.decode(), "password")[0]
    )

    team.answers[("identity", "create_user")] = lambda **user: {**user, "id": "u-1"}
    invited = post_form(client, "/users/new", {**typed, "send_invitation": "y"}, OWNER)
    assert invited.status_code == 302
    [call] = [c for c in team.calls if c[1] == "create_user"]
    assert call[4] == {**typed, "send_invitation": True}


def test_the_ticked_permissions_of_a_role_are_sent_and_kept_on_a_refusal(client, team):
    def refuse(name, permissions):
        raise ValidationError("Name the role.", {"name": "Name the role."})

    team.answers[("identity", "create_role")] = refuse
    # Permissions the (test) owner holds: nobody grants one they lack.
    response = post_form(
        client,
        "/users/roles/new",
        {"name": "AM", "permissions": ["view_clients", "manage_users"]},
        OWNER,
    )
    html = response.data.decode()
    assert response.status_code == 422
    ticked = re.findall(r'name="permissions" type="checkbox" value="(\w+)" checked', html)
    assert ticked == ["view_clients", "manage_users"]
    assert messages_under(html, "name") == ["Name the role."]
    [call] = [c for c in team.calls if c[1] == "create_role"]
    assert call[3] == ("AM", ["view_clients", "manage_users"])


def test_a_reset_token_refused_shows_its_message_on_top(client, rpc):
    def expired(token, password):
        raise ValidationError("This link has expired.", {"token": "This link has expired."})

    rpc.answers[("identity", "reset_password")] = expired
    response = post_form(
        client, "/reset-password?token=t0k", {"token": "t0k", "password": "a-long-password"}
    )
    html = response.data.decode()
    assert response.status_code == 422
    assert re.search(
        r'data-test="form-error">\s*<i[^>]*></i><div>This link has expired.</div>', html
    )
    assert value_of(html, "token") == "t0k"


def test_the_client_form_sends_tags_managers_and_custom_fields_and_keeps_them_on_refusal(
    client, team
):
    team.answers[("clients", "list_custom_fields")] = lambda: [
        {"id": "f1", "name": "Tier", "type": "text", "choices": []}
    ]
    team.answers[("identity", "list_users")] = lambda status=None: [
        {"id": "00000000-0000-0000-0000-0000000000a1", "name": "Olivia", "email": "o@x.co"}
    ]

    def refuse(**client_fields):
        raise Conflict("A client with this name exists.", {"name": "A client has this name."})

    team.answers[("clients", "create_client")] = refuse
    authenticate = team.answers[("identity", "authenticate_api_token")]
    team.answers[("identity", "authenticate_api_token")] = lambda token: {
        **authenticate(token),
        "permissions": ["view_clients", "create_clients"],
    }
    typed = {
        "name": "Acme",
        "description": "",
        "tags": "retail, vip",
        "account_manager_ids": "00000000-0000-0000-0000-0000000000a1",
        "cf_f1": "gold",
    }
    response = post_form(client, "/clients/new", typed, OWNER)
    html = response.data.decode()
    assert response.status_code == 409
    assert messages_under(html, "name") == ["A client has this name."]
    assert value_of(html, "tags") == "retail, vip" and value_of(html, "cf_f1") == "gold"
    assert 'value="00000000-0000-0000-0000-0000000000a1" id="am-' in html and " checked>" in html
    [call] = [c for c in team.calls if c[1] == "create_client"]
    assert call[4] == {
        "name": "Acme",
        "description": "",
        "tags": ["retail", "vip"],
        "account_manager_ids": ["00000000-0000-0000-0000-0000000000a1"],
        "custom_fields": {"f1": "gold"},
        "logo_base64": None,
    }


def test_a_contact_for_a_new_client_keeps_the_new_client_choice_on_refusal(client, team):
    authenticate = team.answers[("identity", "authenticate_api_token")]
    team.answers[("identity", "authenticate_api_token")] = lambda token: {
        **authenticate(token),
        "permissions": ["view_clients", "create_clients"],
    }
    team.answers[("clients", "client_names")] = lambda: [
        {"id": "00000000-0000-0000-0000-0000000000d4", "name": "Acme"}
    ]

    def refuse(**contact):
        raise ValidationError("Check the e-mail.", {"email": "Enter a valid e-mail address."})

    team.answers[("clients", "create_contact")] = refuse
    typed = {"client_id": "__new__", "new_client": "Inline Co", "name": "Ivy", "email": "i@x.co"}
    response = post_form(client, "/contacts/new", typed, OWNER)
    html = response.data.decode()
    assert response.status_code == 422
    assert '<option value="__new__" selected>' in html
    assert value_of(html, "new_client") == "Inline Co"
    assert messages_under(html, "email") == ["Enter a valid e-mail address."]
    [call] = [c for c in team.calls if c[1] == "create_contact"]
    assert (call[4]["client_id"], call[4]["new_client"]) == (None, "Inline Co")


FIELD = {
    "id": "00000000-0000-0000-0000-00000000cf01",
    "name": "Tier",
    "type": "choice",
    "choices": ["Gold"],
    "required": False,
    "created_at": "2026-11-29T06:00:00+00:00",
}


@pytest.fixture
def organizer(team):
    """The owner's token, as a principal that may define custom fields."""
    principal = {
        "principal_id": "00000000-0000-0000-0000-0000000000a1",
        "kind": "user",
        "agency_id": "00000000-0000-0000-0000-00000000a9e1",
        "name": "Olivia Owner",
        "email": "olivia@example.com",
        "role": {"id": "00000000-0000-0000-0000-0000000000f1", "name": "Owner"},
        "permissions": ["view_clients", "manage_client_organizations"],
        "client_id": None,
        "contact_id": None,
    }
    team.answers[("identity", "authenticate_api_token")] = lambda token: principal
    team.answers[("clients", "list_custom_fields")] = lambda: [FIELD]
    return team


def test_a_custom_field_is_edited_and_made_required(client, organizer):
    sent = {}

    def update(field_id, **body):
        sent.update(body, field_id=field_id)
        return {**FIELD, **body}

    organizer.answers[("clients", "update_custom_field")] = update
    path = f"/clients/custom-fields/{FIELD['id']}/edit"
    answer = post_form(
        client, path, {"name": "Level", "choices": "Gold, Silver", "required": "1"}, OWNER
    )
    assert answer.status_code == 302
    assert sent == {
        "field_id": FIELD["id"],
        "name": "Level",
        "choices": ["Gold", "Silver"],
        "required": True,
    }


def test_a_refused_custom_field_edit_keeps_what_was_typed_under_its_field(client, organizer):
    def refuse(field_id, **body):
        raise ValidationError("Choices must differ.", {"choices": "Make each choice different."})

    organizer.answers[("clients", "update_custom_field")] = refuse
    path = f"/clients/custom-fields/{FIELD['id']}/edit"
    answer = post_form(client, path, {"name": "Level", "choices": "Gold, gold"}, OWNER)
    html = answer.data.decode()
    assert answer.status_code == 422
    assert messages_under(html, "choices") == ["Make each choice different."]
    assert value_of(html, "name") == "Level"


PENDING = {
    "id": "00000000-0000-0000-0000-0000000000b9",
    "name": "Pat Pending",
    "email": "pat@example.com",
    "role": {"id": "00000000-0000-0000-0000-0000000000f4", "name": "Member"},
    "status": "active",
    "is_owner": False,
    "invitation_pending": True,
    "created_at": "2026-11-29T06:00:00+00:00",
    "last_login_at": None,
}


def test_a_pending_user_is_shown_waiting_and_can_be_sent_a_new_link(client, team):
    team.answers[("identity", "list_users")] = lambda status=None: [PENDING]
    team.answers[("identity", "resend_user_confirmation")] = lambda user_id: PENDING
    page = client.get("/users/", headers=OWNER).data.decode()
    assert "Awaiting confirmation" in page and 'data-test="resend-confirmation"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    answer = client.post(
        f"/users/{PENDING['id']}/invitation", data={"csrf_token": token}, headers=OWNER
    )
    assert answer.status_code == 302
    assert ("identity", "resend_user_confirmation") in {(c[0], c[1]) for c in team.calls}
