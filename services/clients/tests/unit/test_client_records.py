"""Clients: creation rules, plan limit, edits, status, archive, custom fields, tags, logos."""

import base64

import pytest

from clients import companies, fields, search
from clients.pictures import decode_image
from kit.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 40


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_create_client_keeps_every_field_and_records_client_created(session, ctx, answers, outbox):
    client = companies.create_client(
        session,
        ctx,
        answers,
        name="  Globex   Corp ",
        description="Widgets",
        website="globex.example.com",
        address="1 Main St",
        tags=["retail", "Retail", "vip"],
        account_manager_ids=["u-1"],
        logo_base64=b64(PNG),
    )
    session.commit()
    assert client["name"] == "Globex Corp"
    assert client["website"] == "https://globex.example.com"
    assert client["tags"] == ["retail", "vip"]
    assert client["status"] == "active" and client["has_logo"]
    [event] = outbox(session, "client_created")
    assert event["client_id"] == client["id"] and event["account_manager_ids"] == ["u-1"]
    assert event["agency_id"] == ctx.agency_id and event["event_id"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": "A"}, "name"),
        ({"name": ""}, "name"),
        ({"name": "Acme", "website": "not a site"}, "website"),
        ({"name": "Acme", "account_manager_ids": ["nobody"]}, "account_manager_ids"),
        ({"name": "Acme", "status": "sleeping"}, "status"),
    ],
)
def test_create_client_refuses_bad_input_with_the_field(session, ctx, answers, data, field):
    with pytest.raises(ValidationError) as raised:
        companies.create_client(session, ctx, answers, **data)
    assert field in raised.value.fields


def test_client_names_are_unique_per_agency_whatever_their_case(session, make_ctx, answers):
    agency_a, agency_b = make_ctx(), make_ctx()
    companies.create_client(session, agency_a, answers, name="Acme")
    with pytest.raises(Conflict):
        companies.create_client(session, agency_a, answers, name="ACME")
    companies.create_client(session, agency_b, answers, name="acme")


def test_plan_limit_refuses_the_client_past_it_with_a_clear_message(session, ctx):
    answers = companies.IdentityAnswers(client_limit=2)
    companies.create_client(session, ctx, answers, name="One")
    second = companies.create_client(session, ctx, answers, name="Two")
    with pytest.raises(LimitExceeded) as raised:
        companies.create_client(session, ctx, answers, name="Three")
    assert "Your plan allows 2 clients" in raised.value.message
    assert "upgrade" in raised.value.message
    companies.archive_client(session, ctx, second["id"])  # archived clients do not count
    companies.create_client(session, ctx, answers, name="Three")


def test_identity_is_asked_only_what_the_change_needs(ctx, identity):
    nothing_asked = object()  # any question would fail
    for named in (None, []):
        answers = companies.ask_identity(
            nothing_asked, ctx, adding=False, account_manager_ids=named
        )
        assert answers == companies.IdentityAnswers()
    identity.client_limit = 3
    wanted = ["u-1", "nobody", "u-1"]
    answers = companies.ask_identity(identity, ctx, adding=True, account_manager_ids=wanted)
    assert answers == companies.IdentityAnswers(3, frozenset({"u-1"}))
    with pytest.raises(ValidationError) as raised:  # refused before anyone is asked
        companies.ask_identity(nothing_asked, ctx, adding=False, account_manager_ids="u-1")
    assert "account_manager_ids" in raised.value.fields


def test_create_client_needs_create_clients(session, make_ctx, answers):
    with pytest.raises(PermissionDenied):
        companies.create_client(
            session, make_ctx(permissions={"view_clients"}), answers, name="Acme"
        )


def test_another_agencys_client_is_not_found(session, make_ctx, answers):
    mine = companies.create_client(session, make_ctx(), answers, name="Acme")
    other = make_ctx()
    for call in (
        lambda: companies.get_client(session, other, mine["id"]),
        lambda: companies.update_client(session, other, answers, mine["id"], name="Mine"),
        lambda: companies.archive_client(session, other, mine["id"]),
        lambda: companies.get_client(session, other, "not-a-uuid"),
    ):
        with pytest.raises(NotFound):
            call()


def test_status_switch_keeps_data_and_archive_hides_from_lists(session, ctx, answers, outbox):
    client = companies.create_client(session, ctx, answers, name="Acme", description="Keep me")
    companies.set_status(session, ctx, client["id"], "inactive")
    assert search.list_clients(session, ctx, status="active")["total"] == 0
    inactive = search.list_clients(session, ctx, status="inactive")["items"]
    assert inactive[0]["description"] == "Keep me"
    archived = companies.archive_client(session, ctx, client["id"])
    assert archived["archived"]
    assert search.list_clients(session, ctx)["total"] == 0
    assert search.list_clients(session, ctx, status="archived")["total"] == 1
    assert companies.get_client(session, ctx, client["id"])["description"] == "Keep me"
    with pytest.raises(Conflict):
        companies.update_client(session, ctx, answers, client["id"], name="Other")
    companies.restore_client(session, ctx, None, client["id"])
    assert search.list_clients(session, ctx)["total"] == 1
    kinds = [e["event_type"] for e in outbox(session)]
    assert kinds == [
        "client_created",
        "client_status_changed",
        "client_archived",
        "client_restored",
    ]


def test_update_client_records_what_changed(session, ctx, answers, outbox):
    client = companies.create_client(session, ctx, answers, name="Acme")
    updated = companies.update_client(
        session,
        ctx,
        answers,
        client["id"],
        name="Acme Inc",
        tags=["b2b"],
        account_manager_ids=["u-2"],
    )
    assert updated["name"] == "Acme Inc" and updated["account_manager_ids"] == ["u-2"]
    [event] = outbox(session, "client_updated")
    assert set(event["changed"]) == {"name", "tags", "account_manager_ids"}
    with pytest.raises(ValidationError):
        companies.update_client(session, ctx, answers, client["id"], status="x")


def test_custom_fields_are_typed_and_filterable(session, ctx, answers):
    size = fields.define_field(session, ctx, "Employees", "number")
    since = fields.define_field(session, ctx, "Client since", "date")
    tier = fields.define_field(session, ctx, "Tier", "choice", ["Gold", "Silver"])
    note = fields.define_field(session, ctx, "Notes", "text")
    big = companies.create_client(
        session,
        ctx,
        answers,
        name="Big",
        custom_fields={
            size["id"]: "250",
            since["id"]: "2020-01-31",
            tier["id"]: "gold",
            note["id"]: "Prefers phone calls",
        },
    )
    assert big["custom_fields"] == {
        size["id"]: 250,
        since["id"]: "2020-01-31",
        tier["id"]: "Gold",
        note["id"]: "Prefers phone calls",
    }
    companies.create_client(session, ctx, answers, name="Small", custom_fields={size["id"]: 5})
    for value, field in (("many", size), ("31/01/2020", since), ("Bronze", tier)):
        with pytest.raises(ValidationError):
            companies.create_client(
                session, ctx, answers, name="Bad", custom_fields={field["id"]: value}
            )

    def names(**filters):
        result = search.list_clients(session, ctx, custom_fields_filter=filters)
        return [c["name"] for c in result["items"]]

    assert names(**{size["id"]: "250"}) == ["Big"]
    assert names(**{tier["id"]: "GOLD"}) == ["Big"]
    assert names(**{note["id"]: "phone"}) == ["Big"]
    fields.delete_field(session, ctx, size["id"])
    assert size["id"] not in companies.get_client(session, ctx, big["id"])["custom_fields"]


def test_managing_fields_and_tags_needs_manage_client_organizations(session, make_ctx):
    ctx = make_ctx(permissions={"view_clients", "create_clients", "edit_clients"})
    with pytest.raises(PermissionDenied):
        fields.define_field(session, ctx, "Tier", "text")
    with pytest.raises(PermissionDenied):
        fields.rename_tag(session, ctx, "a", "b")


def test_tags_are_listed_renamed_and_deleted(session, ctx, answers):
    companies.create_client(session, ctx, answers, name="One", tags=["vip", "retail"])
    companies.create_client(session, ctx, answers, name="Two", tags=["vip"])
    assert fields.list_tags(session, ctx) == [
        {"name": "retail", "client_count": 1, "contact_count": 0},
        {"name": "vip", "client_count": 2, "contact_count": 0},
    ]
    assert fields.rename_tag(session, ctx, "vip", "key account") == 2
    assert fields.delete_tag(session, ctx, "retail") == 1
    assert fields.list_tags(session, ctx) == [
        {"name": "key account", "client_count": 2, "contact_count": 0}
    ]


@pytest.mark.parametrize(
    "data, accepted",
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (b"GIF89a" + b"\x00" * 40, None),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", None),
        (b"\x89PNG", None),
        (b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024), None),
    ],
)
def test_logos_are_checked_by_content_and_size(data, accepted):
    if accepted:
        assert decode_image(b64(data))[1] == accepted
    else:
        with pytest.raises(ValidationError):
            decode_image(b64(data))


def test_logo_is_stored_read_and_removed(session, ctx, answers):
    client = companies.create_client(session, ctx, answers, name="Acme", logo_base64=b64(JPEG))
    logo = companies.get_logo(session, ctx, client["id"])
    assert logo["content_type"] == "image/jpeg"
    assert base64.b64decode(logo["data_base64"]) == JPEG
    companies.update_client(session, ctx, answers, client["id"], logo_base64=None)
    with pytest.raises(NotFound):
        companies.get_logo(session, ctx, client["id"])
    with pytest.raises(ValidationError):
        companies.update_client(session, ctx, answers, client["id"], logo_base64="!!!")
