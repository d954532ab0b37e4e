"""The portal's new-request form offers exactly the services billing says the agency offers the
contact's client, stores the chosen one's name with the request, and still works (without the
choice) when billing is away."""

from __future__ import annotations

import pytest

from kit.errors import ServiceUnavailable

CONTACT = {"Authorization": "Bearer contact-token"}


def offered(*names: str):
    items = [
        {"id": f"00000000-0000-0000-0000-00000000000{i}", "name": n} for i, n in enumerate(names)
    ]
    return lambda: {"client_id": "c", "chosen": True, "items": items}


@pytest.fixture
def no_csrf(app):
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def sent(rpc):
    requests: list[dict] = []
    rpc.answers[("clients", "portal_create_request")] = lambda **k: requests.append(k) or {}
    return requests


def test_the_service_select_lists_exactly_what_billing_offers_the_client(client, rpc):
    rpc.answers[("billing", "portal_list_services")] = offered("SEO", "Ads management")
    page = client.get("/portal/requests/new", headers=CONTACT).data.decode()
    select = page[page.index("<select") : page.index("</select>")]
    assert select.count("<option") == 3  # the "not about one service" choice and the two
    assert '<option value="SEO">SEO</option>' in select
    assert '<option value="Ads management">Ads management</option>' in select


def test_the_chosen_service_is_sent_with_the_request_and_an_unoffered_one_refused(
    client, rpc, sent, no_csrf
):
    rpc.answers[("billing", "portal_list_services")] = offered("SEO")
    form = {"title": "More links", "description": "", "service_name": "SEO"}
    assert client.post("/portal/requests/new", data=form, headers=CONTACT).status_code == 302
    assert sent[0]["service_name"] == "SEO"
    form["service_name"] = "Web design"
    answer = client.post("/portal/requests/new", data=form, headers=CONTACT)
    assert answer.status_code == 422 and len(sent) == 1
    assert "Choose one of the services in the list." in answer.data.decode()


def test_no_service_offered_or_billing_away_leaves_the_choice_out(client, rpc, sent, no_csrf):
    rpc.answers[("billing", "portal_list_services")] = offered()
    page = client.get("/portal/requests/new", headers=CONTACT).data.decode()
    assert 'name="service_name"' not in page and 'name="title"' in page

    def away():
        raise ServiceUnavailable("billing is not answering")

    rpc.answers[("billing", "portal_list_services")] = away
    answer = client.get("/portal/requests/new", headers=CONTACT)
    assert answer.status_code == 200 and 'name="service_name"' not in answer.data.decode()
    answer = client.post("/portal/requests/new", data={"title": "Help"}, headers=CONTACT)
    assert answer.status_code == 302 and sent[0]["title"] == "Help"
    assert "service_name" not in sent[0]
