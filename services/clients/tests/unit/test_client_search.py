"""The clients list and the Contacts tab: search, filters, sorting, pages."""

import functools
from datetime import timedelta

import pytest
from sqlalchemy import update

from clients import client_requests, companies, contacts, fields, search
from clients.models import Client
from kit.context import Context
from kit.db import utcnow
from kit.errors import PermissionDenied, ValidationError


@pytest.fixture
def book(session, ctx, answers):
    """Three clients with contacts; Initech is inactive, Umbrella archived."""
    acme = companies.create_client(
        session, ctx, answers, name="Acme", tags=["vip"], account_manager_ids=["u-1"]
    )
    globex = companies.create_client(session, ctx, answers, name="Globex", website="globex.com")
    initech = companies.create_client(session, ctx, answers, name="Initech", tags=["vip"])
    umbrella = companies.create_client(session, ctx, answers, name="Umbrella")
    companies.set_status(session, ctx, initech["id"], "inactive")
    for name, email, client, position in (
        ("Ada Lovelace", "ada@acme.com", acme, "CTO"),
        ("Bob Stone", "bob@acme.com", acme, "Buyer"),
        ("Cy Young", "cy@globex.com", globex, "CEO"),
        ("Dee Dee", "dee@initech.com", initech, "Engineer"),
        ("Eve Hart", "eve@umbrella.com", umbrella, "CFO"),
    ):
        contacts.create_contact(session, ctx, answers, name, email, client["id"], position=position)
    companies.archive_client(session, ctx, umbrella["id"])
    # Spread creation times so sorting by them is meaningful.
    for offset, client in enumerate((acme, globex, initech, umbrella)):
        session.execute(
            update(Client)
            .where(Client.id == client["id"])
            .values(created_at=utcnow() - timedelta(days=10 - offset))
        )
    return {"acme": acme, "globex": globex, "initech": initech, "umbrella": umbrella}


def names(result):
    return [item["name"] for item in result["items"]]


def test_clients_list_filters_by_status_tag_manager_and_search(session, ctx, book):
    assert names(search.list_clients(session, ctx, sort="name")) == ["Acme", "Globex", "Initech"]
    assert names(search.list_clients(session, ctx, status="active", sort="name")) == [
        "Acme",
        "Globex",
    ]
    assert names(search.list_clients(session, ctx, status="archived")) == ["Umbrella"]
    assert names(search.list_clients(session, ctx, tag="vip", sort="name")) == ["Acme", "Initech"]
    assert names(search.list_clients(session, ctx, account_manager_id="u-1")) == ["Acme"]
    assert names(search.list_clients(session, ctx, q="GLOBEX.c")) == ["Globex"]
    assert names(search.list_clients(session, ctx, q="100%")) == []


def test_clients_sort_by_creation_name_contacts_and_activity(session, ctx, book):
    assert names(search.list_clients(session, ctx)) == ["Initech", "Globex", "Acme"]
    assert names(search.list_clients(session, ctx, sort="created_at"))[0] == "Acme"
    assert names(search.list_clients(session, ctx, sort="-name"))[0] == "Initech"
    by_count = search.list_clients(session, ctx, sort="-contact_count")
    assert names(by_count)[0] == "Acme" and by_count["items"][0]["contact_count"] == 2
    [cy] = search.list_contacts(session, ctx, client_id=book["globex"]["id"])["items"]
    portal = Context(
        agency_id=ctx.agency_id, kind="contact", client_id=cy["client_id"], contact_id=cy["id"]
    )
    client_requests.portal_create_request(session, portal, "Need a new logo")
    assert names(search.list_clients(session, ctx, sort="-last_activity"))[0] == "Globex"
    with pytest.raises(ValidationError):
        search.list_clients(session, ctx, sort="colour")


def test_clients_are_paginated(session, ctx, book):
    first = search.list_clients(session, ctx, sort="name", page=1, per_page=2)
    second = search.list_clients(session, ctx, sort="name", page=2, per_page=2)
    assert (first["total"], names(first), names(second)) == (3, ["Acme", "Globex"], ["Initech"])


def test_contacts_tab_lists_across_clients_and_searches_client_names(session, ctx, book):
    everyone = search.list_contacts(session, ctx, sort="name")
    assert names(everyone) == ["Ada Lovelace", "Bob Stone", "Cy Young", "Dee Dee"]
    assert names(search.list_contacts(session, ctx, q="acme", sort="name")) == [
        "Ada Lovelace",
        "Bob Stone",
    ]
    assert names(search.list_contacts(session, ctx, q="cfo", status="archived")) == ["Eve Hart"]
    assert names(search.list_contacts(session, ctx, q="engineer")) == ["Dee Dee"]
    assert names(search.list_contacts(session, ctx, q="cy@glo")) == ["Cy Young"]


def test_contacts_are_found_by_phone_and_by_their_own_tags(session, ctx, answers, book):
    acme = book["acme"]["id"]
    contacts.create_contact(
        session,
        ctx,
        answers,
        "Fay Fox",
        "fay@acme.com",
        acme,
        phone="+44 20 7946 0018",
        tags=["press"],
    )
    assert names(search.list_contacts(session, ctx, q="7946")) == ["Fay Fox"]
    assert names(search.list_contacts(session, ctx, q="press")) == ["Fay Fox"]
    assert names(search.list_contacts(session, ctx, tag="press")) == ["Fay Fox"]
    tags = {
        t["name"]: (t["client_count"], t["contact_count"]) for t in fields.list_tags(session, ctx)
    }
    assert tags == {"vip": (2, 0), "press": (0, 1)}


def test_contacts_filter_by_client_tag_manager_and_status(session, ctx, book):
    def contact_names(**filters):
        return names(search.list_contacts(session, ctx, sort="name", **filters))

    assert contact_names(client_id=book["globex"]["id"]) == ["Cy Young"]
    assert contact_names(tag="vip") == ["Ada Lovelace", "Bob Stone", "Dee Dee"]
    assert contact_names(account_manager_id="u-1") == ["Ada Lovelace", "Bob Stone"]
    assert contact_names(status="inactive") == ["Dee Dee"]
    page = search.list_contacts(session, ctx, sort="-name", page=2, per_page=3)
    assert (page["total"], names(page)) == (4, ["Ada Lovelace"])
    # Archived: a contact archived itself, and every contact of an archived client.
    bob = next(c for c in search.list_contacts(session, ctx)["items"] if c["name"] == "Bob Stone")
    contacts.archive_contact(session, ctx, bob["id"])
    assert contact_names(status="archived") == ["Bob Stone", "Eve Hart"]
    assert contact_names(tag="vip") == ["Ada Lovelace", "Dee Dee"]
    assert contact_names(tag="vip", status="archived") == ["Bob Stone"]


def test_lists_never_show_another_agencys_rows(session, make_ctx, book):
    other = make_ctx()
    assert search.list_clients(session, other)["total"] == 0
    assert search.list_contacts(session, other)["total"] == 0


def test_a_client_select_offers_the_agencys_live_clients_by_name(session, ctx, make_ctx, book):
    assert search.client_names(session, ctx) == [
        {"id": book[name]["id"], "name": book[name]["name"]}
        for name in ("acme", "globex", "initech")  # Initech inactive; Umbrella archived
    ]
    assert search.client_names(session, make_ctx()) == []
    with pytest.raises(PermissionDenied):
        search.client_names(session, make_ctx(ctx.agency_id, permissions=frozenset()))


def test_every_page_of_a_sorted_list_is_its_slice_of_the_whole_list(session, ctx, book):
    """Deep pages are found on keys first (kit.paging), counts per page only for its clients:
    the pages still follow one another exactly, with the right counts."""
    for sort in ("-created_at", "name", "-last_activity"):
        whole = names(search.list_contacts(session, ctx, sort=sort, per_page=100))
        paged = [
            name
            for page in range(1, len(whole) + 2)  # and one empty page past the end
            for name in names(search.list_contacts(session, ctx, sort=sort, page=page, per_page=1))
        ]
        assert paged == whole, sort
    clients = [
        search.list_clients(session, ctx, sort="name", page=p, per_page=1) for p in (1, 2, 3)
    ]
    assert [(c["items"][0]["name"], c["items"][0]["contact_count"]) for c in clients] == [
        ("Acme", 2),
        ("Globex", 1),
        ("Initech", 1),
    ]
    assert all(c["total"] == 3 for c in clients)


def test_a_contacts_search_matches_each_field_but_never_across_two(session, ctx, book):
    assert names(search.list_contacts(session, ctx, q="lovelace")) == ["Ada Lovelace"]
    assert names(search.list_contacts(session, ctx, q="@GLOBEX")) == ["Cy Young"]
    assert names(search.list_contacts(session, ctx, q="cto")) == ["Ada Lovelace"]
    assert names(search.list_contacts(session, ctx, q="acme", sort="name")) == [
        "Ada Lovelace",
        "Bob Stone",
    ]  # their client's name
    # the end of a name and the start of the e-mail beside it are not one text
    assert names(search.list_contacts(session, ctx, q="lovelace ada@")) == []
    assert names(search.list_contacts(session, ctx, q="Lovelaceada")) == []


def follow_cursors(list_page, **args):
    """Every page of a list from the first, each asked for with the last one's next_cursor."""
    pages = [list_page(**args)]
    while pages[-1]["next_cursor"]:
        pages.append(list_page(**args, after=pages[-1]["next_cursor"]))
    return pages


def test_following_next_cursor_reads_the_whole_list_in_order(session, ctx, answers, book):
    """Keyset pages (kit.paging.seek_page_of): each page's next_cursor leads to the next one,
    by seeking from its last row; the pages are the list's slices, numbered, with its total;
    ties in the sort key (two contacts of one name) are ordered by id and never lost."""
    for i in range(3):
        contacts.create_contact(
            session, ctx, answers, "Ada Lovelace", f"ada{i}@acme.com", book["acme"]["id"]
        )
    for sort in ("-created_at", "created_at", "name", "-name", "-last_activity"):
        for q in (None, "a"):
            whole = search.list_contacts(session, ctx, sort=sort, q=q, per_page=100)
            pages = follow_cursors(
                functools.partial(search.list_contacts, session, ctx), sort=sort, q=q, per_page=2
            )
            assert [i["id"] for p in pages for i in p["items"]] == [
                i["id"] for i in whole["items"]
            ], (sort, q)
            assert [p["page"] for p in pages] == list(range(1, len(pages) + 1))
            assert {p["total"] for p in pages} == {whole["total"]}
            assert pages[-1]["next_cursor"] is None and len(pages) == (whole["total"] + 1) // 2
            # a page by number is the same slice as the page reached by cursor
            assert (
                search.list_contacts(session, ctx, sort=sort, q=q, page=2, per_page=2)["items"]
                == pages[1]["items"]
            )
    for sort in ("name", "-contact_count", "-created_at"):
        whole = names(search.list_clients(session, ctx, sort=sort))
        pages = follow_cursors(
            functools.partial(search.list_clients, session, ctx), sort=sort, per_page=1
        )
        assert [n for p in pages for n in names(p)] == whole, sort


def test_a_cursor_is_refused_for_another_sort_or_when_it_is_not_one(session, ctx, make_ctx, book):
    first = search.list_contacts(session, ctx, sort="name", per_page=1)
    for after, sort in ((first["next_cursor"], "-created_at"), ("bm90IGEgY3Vyc29y", "name")):
        with pytest.raises(ValidationError) as refused:
            search.list_contacts(session, ctx, sort=sort, after=after)
        assert "after" in refused.value.fields
    # another agency's cursor only positions in this agency's own rows
    other = search.list_contacts(session, make_ctx(), sort="name", after=first["next_cursor"])
    assert (other["items"], other["total"], other["next_cursor"]) == ([], 0, None)
