"""The clients' contact counts, which the database keeps (migration 0042_lists_contact_counts),
and the lists built on them: a client's `contact_count`, the `contact_count` sort, the exact
`total` of the contacts lists, and deep pages by number (kit.paging)."""

import functools

from sqlalchemy import delete, func, select

from clients import companies, contacts, search
from clients.imports import jobs, running
from clients.models import Client, Contact


def live_contacts_counted(session) -> dict[str, int]:
    """Each client's contacts that are not archived, counted one by one."""
    live = func.count(Contact.id).filter(Contact.archived_at.is_(None))
    rows = session.execute(
        select(Client.id, live)
        .outerjoin(Contact, Contact.client_id == Client.id)
        .group_by(Client.id)
    )
    return {str(client_id): n for client_id, n in rows}


def contact_counts(session, ctx) -> dict[str, int]:
    """Each client's `contact_count` as answered, by get_client and by the clients lists."""
    listed = {
        c["id"]: c["contact_count"]
        for status in (None, "archived")
        for c in search.list_clients(session, ctx, status=status, per_page=100)["items"]
    }
    assert listed == {
        client_id: companies.get_client(session, ctx, client_id)["contact_count"]
        for client_id in listed
    }
    return listed


def test_a_clients_contact_count_stays_true_through_every_change(session, ctx, answers, identity):
    acme = companies.create_client(session, ctx, answers, name="Acme")["id"]
    globex = companies.create_client(session, ctx, answers, name="Globex")["id"]
    assert contact_counts(session, ctx) == {acme: 0, globex: 0}
    people = [
        contacts.create_contact(session, ctx, answers, f"P{i}", f"p{i}@acme.com", acme)["id"]
        for i in range(4)
    ]
    contacts.create_contact(session, ctx, answers, "Cy", "cy@globex.com", globex)
    assert contact_counts(session, ctx) == live_contacts_counted(session) == {acme: 4, globex: 1}

    contacts.archive_contact(session, ctx, people[0])
    contacts.archive_contact(session, ctx, people[0])  # idempotent: counted once
    assert contact_counts(session, ctx) == {acme: 3, globex: 1}
    contacts.restore_contact(session, ctx, people[0])
    contacts.update_contact(session, ctx, people[1], client_id=globex)  # a move
    contacts.update_contact(session, ctx, people[2], position="CEO")  # not a move
    assert contact_counts(session, ctx) == {acme: 3, globex: 2}
    contacts.archive_contact(session, ctx, people[3])
    # an archived client's contacts are still its contacts, not archived
    companies.archive_client(session, ctx, globex)
    assert contact_counts(session, ctx) == live_contacts_counted(session) == {acme: 2, globex: 2}
    companies.restore_client(session, ctx, None, globex)

    # An import: new contacts (one for a client it creates), a known contact moved, an
    # archived one moved (still archived: counted nowhere), a row that changes nothing.
    csv = (
        "name,email,client\n"
        "New One,new1@acme.com,Acme\n"
        "New Two,new2@acme.com,Hooli\n"
        "P0,p0@acme.com,Globex\n"
        "P3,p3@acme.com,Globex\n"
        "Cy,cy@globex.com,Globex\n"
    )
    job = running.start_import(session, ctx, identity, None, "contacts", csv)
    session.commit()
    assert jobs.import_dict(job)["status"] == "done"
    hooli = search.list_clients(session, ctx, q="Hooli")["items"][0]["id"]
    expected = {acme: 2, globex: 3, hooli: 1}
    assert contact_counts(session, ctx) == live_contacts_counted(session) == expected

    session.execute(delete(Contact).where(Contact.name.in_(["New One", "P3"])))
    assert contact_counts(session, ctx) == live_contacts_counted(session)
    assert contact_counts(session, ctx)[acme] == 1


def test_sorting_by_contact_count_reads_the_stored_counts(session, ctx, answers):
    sizes = {"Small": 1, "Large": 3, "None": 0, "Middle": 2}
    for name, size in sizes.items():
        client = companies.create_client(session, ctx, answers, name=name)["id"]
        for i in range(size):
            contacts.create_contact(session, ctx, answers, "X", f"{name}{i}@x.com", client)
    by_count = search.list_clients(session, ctx, sort="-contact_count")["items"]
    assert [(c["name"], c["contact_count"]) for c in by_count] == [
        ("Large", 3),
        ("Middle", 2),
        ("Small", 1),
        ("None", 0),
    ]
    ascending = search.list_clients(session, ctx, sort="contact_count", per_page=3)
    assert [c["name"] for c in ascending["items"]] == ["None", "Small", "Middle"]
    after = search.list_clients(
        session, ctx, sort="contact_count", per_page=3, after=ascending["next_cursor"]
    )
    assert ([c["name"] for c in after["items"]], after["next_cursor"]) == (["Large"], None)


def contacts_book(session, ctx, answers):
    """Four clients (one inactive, one archived, one managed by u-1), their contacts, some of
    them archived."""
    clients = {}
    for name, status, managers in (
        ("Acme", "active", ["u-1"]),
        ("Globex", "active", []),
        ("Initech", "inactive", ["u-1"]),
        ("Umbrella", "active", []),
    ):
        client = companies.create_client(
            session, ctx, answers, name=name, account_manager_ids=managers
        )
        companies.set_status(session, ctx, client["id"], status)
        clients[name] = client["id"]
        for i in range(5):
            contact = contacts.create_contact(
                session, ctx, answers, f"{name} {i}", f"{i}@{name.lower()}.com", client["id"]
            )
            if i == 2:
                contacts.archive_contact(session, ctx, contact["id"])
    companies.archive_client(session, ctx, clients["Umbrella"])
    return clients


def test_a_contacts_list_total_is_its_number_of_rows_whatever_the_filters(session, ctx, answers):
    clients = contacts_book(session, ctx, answers)
    for filters, expected in (
        ({}, 12),
        ({"status": "active"}, 8),
        ({"status": "inactive"}, 4),
        ({"account_manager_id": "u-1"}, 8),
        ({"account_manager_id": "u-1", "status": "active"}, 4),
        ({"client_id": clients["Globex"]}, 4),
        ({"client_id": clients["Umbrella"]}, 0),
        ({"client_id": clients["Initech"], "status": "active"}, 0),
        ({"status": "archived"}, 8),
        ({"q": "acme"}, 4),
    ):
        page = search.list_contacts(session, ctx, per_page=100, **filters)
        assert page["total"] == len(page["items"]) == expected, filters


def test_every_page_by_number_is_the_page_reached_by_cursor(session, ctx, answers):
    """A page by number is found on keys first, a page by cursor by seeking: the same rows."""
    contacts_book(session, ctx, answers)
    for filters in ({}, {"status": "active"}, {"account_manager_id": "u-1"}, {"q": "1"}):
        for sort in ("-created_at", "name", "-name", "last_activity"):
            list_page = functools.partial(
                search.list_contacts, session, ctx, sort=sort, per_page=3, **filters
            )
            by_cursor = [list_page()]
            while by_cursor[-1]["next_cursor"]:
                by_cursor.append(list_page(after=by_cursor[-1]["next_cursor"]))
            by_number = [list_page(page=n) for n in range(1, len(by_cursor) + 1)]
            assert [p["items"] for p in by_number] == [p["items"] for p in by_cursor]
            assert {p["total"] for p in by_number + by_cursor} == {
                sum(len(p["items"]) for p in by_cursor)
            }
