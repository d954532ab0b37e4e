"""The portal's invitation page marks the field a refusal concerns: "correct the marked fields"
never stands above a form with nothing marked."""

import re

import pytest

from kit.errors import ValidationError
from kit.validation import FIX_FIELDS

INVITATION = {
    "contact_name": "Cy Client",
    "client_name": "Globex",
    "email": "cy@globex.test",
    "message": None,
}


@pytest.fixture
def portal(rpc):
    rpc.answers[("clients", "get_invitation")] = lambda token: INVITATION
    return rpc


def post_accept(client, data):
    page = client.get("/portal/invitations/accept?token=tok").data.decode()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    return client.post(
        "/portal/invitations/accept", data={"csrf_token": csrf, "token": "tok", **data}
    )


def marked(html: str) -> set[str]:
    return set(re.findall(r'class="form-control[^"]*is-invalid"[^>]*name="([a-z_]+)"', html))


def test_a_refused_password_is_marked_on_the_password_field(client, portal):
    def refuse(token, password):
        raise ValidationError(FIX_FIELDS, {"password": "This password is too common."})

    portal.answers[("clients", "accept_invitation")] = refuse
    answer = post_accept(client, {"password": "password123", "password_confirm": "password123"})
    html = answer.data.decode()
    assert answer.status_code == 422
    assert marked(html) == {"password"} and "This password is too common." in html


def test_two_different_passwords_mark_the_second_box(client, portal):
    answer = post_accept(client, {"password": "a-good-long-one", "password_confirm": "another"})
    html = answer.data.decode()
    assert marked(html) == {"password_confirm"}
    assert "type the same password twice" in html


def test_a_password_the_form_itself_refuses_is_marked_too(client, portal):
    answer = post_accept(client, {"password": "", "password_confirm": ""})
    html = answer.data.decode()
    assert answer.status_code == 422
    assert "password" in marked(html)
